#!/bin/bash
# Before/after review of two tscni builds (e.g. main at an older commit and main now): the same
# scenarios run by each build on throwaway iptables-nft ("system"), iptables-legacy and nft-only
# hosts, then the records compared. Each host is `unshare -n -m -p -f`: its own network, mount
# and PID namespaces, tmpfs over /run, /var/lib/cni and its scratch dir; nothing reaches the
# machine's netns, firewall or /var/lib/cni. Scenarios: the containerd default chain (bridge
# ipMasq dual-stack + portmap without and with 4 mappings: hostIP, IPv6, SNAT), ADD/CHECK/ADD
# again/DEL twice, bench-bi at 0.3.1-1.1.0, portmap with markMasqBit/hairpin, the nft layout
# explicitly with sctp, ADD by one build or v1.9.1 and DEL by the other, GC, loopback, bad input,
# foreign jumps into per-pod chains, host-local on a prefilled dataDir. After each step: stdout,
# exit code (stderr on failure), iptables-nft-save, iptables-legacy-save, nft list ruleset, links,
# addresses, routes, sysctls, dataDir files; random names, MACs, timers and counters normalised.
# usage: test/review/ab.sh DIST_A DIST_B [system|legacy|nft-only ...]   (root; needs jq)
# Records and diffs land in $OUTDIR (default /tmp/tscni-review). Exit 1 when a host differs
# even with each state block's lines sorted (random veth names reorder `sysctl -a`).
set -u
OUTDIR=${OUTDIR:-/tmp/tscni-review}
REF_DIR=${REF_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/reference-bin/v1.9.1}

norm_record() { sed -E '1d; s/[a-z_]+_timer +[0-9.]+//g; s/([0-9a-f]{1,2}:){5}[0-9a-f]{1,2}/MAC/g; s/ tentative//g; s/ noprefixroute//g; s/NO-CARRIER,//; s/ linkdown//; s/state (UP|DOWN)/state X/; s/counter packets [0-9]+ bytes [0-9]+/counter/g; s/# Warning: table .* do not touch!//g; /^XT (target|match) .* not found$/d; /^$/d' "$1"; }
sorted_blocks() { norm_record "$1" | awk '/^== /{n++} {print n"\t"$0}' | sort -s -t$'\t' -k1,1n -k2; }

if [ "${1:-}" != "--inner" ]; then
  [ $# -ge 2 ] || { sed -n 2,15p "$0"; exit 2; }
  A=$(realpath "$1"); B=$(realpath "$2"); shift 2; TOOLS=${*:-system legacy nft-only}
  mkdir -p "$OUTDIR"; rc=0
  for t in $TOOLS; do
    for side in a b; do
      d=$A; [ $side = b ] && d=$B
      OUTDIR=$OUTDIR unshare -n -m -p -f --mount-proc --propagation private "$0" --inner "$d" "$OUTDIR/$side.$t" "$t" "$REF_DIR"
    done
    echo "=== $t: $A vs $B"
    if ! diff <(norm_record "$OUTDIR/a.$t") <(norm_record "$OUTDIR/b.$t") > "$OUTDIR/diff.$t"; then
      echo "strict: $(grep -c '^[<>]' "$OUTDIR/diff.$t") lines differ ($OUTDIR/diff.$t); with each block sorted:"
      if diff <(sorted_blocks "$OUTDIR/a.$t") <(sorted_blocks "$OUTDIR/b.$t") > "$OUTDIR/diff-sorted.$t"; then
        echo "(none: the order of lines only)"
      else
        head -60 "$OUTDIR/diff-sorted.$t"; rc=1
      fi
    fi
  done
  exit $rc
fi

# ---- inside the throwaway host: --inner DIST OUTFILE TOOLS REF_DIR
DIST=$2; OUT=$3; TOOLS=$4; REF=$5
mount -t tmpfs none /run; [ -d /var/lib/cni ] && mount -t tmpfs none /var/lib/cni; mkdir -p /run/netns
W=$(mktemp -d "$OUTDIR/w.XXXX"); mount -t tmpfs none $W
ip link set lo up; sysctl -qw net.ipv4.ip_forward=1
SYS=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mkdir -p $W/bin
case $TOOLS in
  system) TP=$SYS;;
  legacy) for n in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do ln -s /usr/sbin/$(echo $n | sed -E 's/^(ip6?tables)/\1-legacy/') $W/bin/$n; done; TP=$W/bin:$SYS;;
  nft-only) ln -s /usr/sbin/nft $W/bin/nft; TP=$W/bin;;
esac
for c in c1 c2 c3 c4 c5 c6; do ip netns add $c; ip -n $c link set lo up; done
exec >$OUT 2>&1
norm() { sed -E 's/veth[0-9a-f]{8}/VETH/g; s/([0-9a-f]{2}:){5}[0-9a-f]{2}/MAC/g; s/fe80::[0-9a-f:]+/FE80/g; s/valid_lft [^ ]+ preferred_lft [^ ]+//; s/(link-netnsid|link-netns) [^ ]+//g; s/ if[0-9]+:/ ifN:/; s/^[0-9]+: /N: /; s/\[[0-9]+:[0-9]+\]/[0:0]/; s/"mac": *"[^"]*"/"mac":"MAC"/g; s/"sandbox":"[^"]*"/"sandbox":"S"/g; s/handle [0-9]+/handle H/; s/-x?[0-9a-f]{8}$//'; }
state() {
  echo "== state after: $1"
  { iptables-nft-save 2>/dev/null | grep -v '^#'; ip6tables-nft-save 2>/dev/null | grep -v '^#'; echo "-- legacy"; iptables-legacy-save | grep -v '^#'; ip6tables-legacy-save | grep -v '^#'; echo "-- nft"; nft list ruleset 2>/dev/null; echo "-- host"; ip -d -o link show | sed -E 's/ (numtxqueues|numrxqueues|gso_max_size|gso_max_segs|tso_max_size|tso_max_segs|gro_max_size|gso_ipv4_max_size|gro_ipv4_max_size|parentbus|parentdev|minmtu|maxmtu|addrgenmode|bridge_id|designated_root|hello_timer|tcn_timer|topology_change_timer|gc_timer|fdb_n_learned|fdb_max_learned|root_id) [^ ]+//g'; ip -o addr; ip route; ip -6 route; for s in net.ipv4.ip_forward net.ipv6.conf.all.forwarding; do sysctl $s; done; sysctl -a 2>/dev/null | grep -E '^net\.(ipv4|ipv6)\.conf\.(cni0|tbx|VETH|veth)' | grep -E 'forwarding|proxy|arp|accept_ra|disable_ipv6|route_localnet' ; for c in c1 c2 c3 c4 c5 c6; do echo "-- $c"; ip -n $c -d -o link show | sed -E 's/ (numtxqueues|numrxqueues|gso_max_size|gso_max_segs|tso_max_size|tso_max_segs|gro_max_size|gso_ipv4_max_size|gro_ipv4_max_size|parentbus|parentdev|minmtu|maxmtu|addrgenmode) [^ ]+//g'; ip -n $c -o addr; ip -n $c route; ip -n $c -6 route; ip netns exec $c sysctl -a 2>/dev/null | grep -E 'conf\.eth0\.(arp_notify|accept_dad|disable_ipv6)|ipv4.ip_forward'; done; echo "-- datadir"; (cd $W/ipam 2>/dev/null && for f in $(find . -type f | sort); do echo "$f: $(cat $f | tr '\n' '|')"; done); ls -la /run /run/* 2>/dev/null | awk '{print $1, $NF}'; } | norm
}
# run IMPLDIR PLUGIN CMD CID NS IFNAME CONF
runp() {
  local d=$1 p=$2 cmd=$3 cid=$4 ns=$5 ifn=$6 conf=$7
  local o rc
  o=$(printf '%s' "$conf" | env -i PATH=$TP TSCNI_FIREWALL_LOCK=$W/fw.lock CNI_COMMAND=$cmd CNI_CONTAINERID=$cid CNI_NETNS=/run/netns/$ns CNI_IFNAME=$ifn CNI_PATH=$d $d/$p 2>$W/err); rc=$?
  echo "$p $cmd $cid rc=$rc out=$(printf '%s' "$o" | norm)" >&2
  { [ $rc -ne 0 ] || [ -n "${SHOWERR:-}" ]; } && echo "   stderr: $(head -c 600 $W/err | sed -E 's/veth[0-9a-f]{8}/VETH/g')" >&2
  printf '%s' "$o"; return $rc
}
# chain IMPLDIR CMD LISTJSON CID NS [MAPPINGS]
chain() {
  local d=$1 cmd=$2 list=$3 cid=$4 ns=$5 maps=${6:-}
  local name ver n i prev="" conf p res cache=$W/cache.$(echo "$list" | jq -r .name).$cid
  name=$(echo "$list" | jq -r .name); ver=$(echo "$list" | jq -r .cniVersion); n=$(echo "$list" | jq '.plugins|length')
  if [ $cmd = ADD ]; then seq0=$(seq 0 $((n-1))); else seq0=$(seq $((n-1)) -1 0); [ -f $cache ] && prev=$(cat $cache); fi
  for i in $seq0; do
    conf=$(echo "$list" | jq -c --arg v "$ver" --arg n "$name" ".plugins[$i] + {cniVersion:\$v, name:\$n}")
    if [ -n "$maps" ] && echo "$conf" | jq -e '.capabilities.portMappings' >/dev/null; then conf=$(echo "$conf" | jq -c --argjson m "$maps" '. + {runtimeConfig:{portMappings:$m}} | del(.capabilities)'); fi
    [ -n "$prev" ] && conf=$(echo "$conf" | jq -c --argjson r "$prev" '. + {prevResult:$r}')
    p=$(echo "$conf" | jq -r .type)
    res=$(runp $d $p $cmd $cid $ns eth0 "$conf") || { [ $cmd != DEL ] && return 1; }
    [ $cmd = ADD ] && prev=$res
  done 2>&1
  [ $cmd = ADD ] && echo "$prev" > $cache
  [ $cmd = DEL ] && rm -f $cache
  return 0
}
# gc LIST IMPL VALIDJSON
gcl() {
  local d=$1 list=$2 valid=$3 n i conf name ver
  name=$(echo "$list" | jq -r .name); ver=$(echo "$list" | jq -r .cniVersion); n=$(echo "$list" | jq '.plugins|length')
  for i in $(seq 0 $((n-1))); do
    conf=$(echo "$list" | jq -c --arg n "$name" --argjson v "$valid" ".plugins[$i] + {cniVersion:\"1.1.0\", name:\$n, \"cni.dev/valid-attachments\":\$v}")
    runp $d $(echo "$conf" | jq -r .type) GC "" c1 eth0 "$conf" >/dev/null
  done 2>&1
}
CD='{"cniVersion":"1.0.0","name":"containerd-net","plugins":[{"type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":true,"promiscMode":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.88.0.0/16"}],[{"subnet":"2001:4860:4860::/64"}]],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}],"dataDir":"'$W'/ipam"}},{"type":"portmap","capabilities":{"portMappings":true}}]}'
BI='{"cniVersion":"VER","name":"bench-bi","plugins":[{"type":"bridge","bridge":"tbx","isGateway":true,"ipMasq":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.77.0.0/16"}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":"'$W'/ipam"}}]}'
PM='{"cniVersion":"1.1.0","name":"pmnet","plugins":[{"type":"bridge","bridge":"cni1","isGateway":true,"ipMasq":true,"hairpinMode":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.66.0.0/24"}],[{"subnet":"fd66::/64"}]],"dataDir":"'$W'/ipam"}},{"type":"portmap","snat":true,"markMasqBit":13,"capabilities":{"portMappings":true}}]}'
LO='{"cniVersion":"1.0.0","name":"cni-loopback","type":"loopback"}'
MAPS='[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":8053,"containerPort":53,"protocol":"udp"},{"hostPort":9090,"containerPort":90,"protocol":"tcp","hostIP":"127.0.0.1"},{"hostPort":9191,"containerPort":91,"protocol":"tcp","hostIP":"::1"}]'
echo "##### DIST=$DIST TOOLS=$TOOLS"
state fresh
runp $DIST portmap DEL fresh c6 eth0 '{"cniVersion":"1.0.0","name":"containerd-net","type":"portmap","capabilities":{"portMappings":true}}' 2>&1; echo
state "portmap DEL on fresh node"
runp $DIST portmap CHECK fresh c6 eth0 '{"cniVersion":"1.0.0","name":"containerd-net","type":"portmap","capabilities":{"portMappings":true},"prevResult":{"cniVersion":"1.0.0","interfaces":[],"ips":[]}}' 2>&1; echo
runp $DIST loopback ADD c1 c1 lo "$LO" 2>&1; echo
chain $DIST ADD "$CD" c1 c1; state "containerd ADD c1"
chain $DIST CHECK "$CD" c1 c1; echo "check rc=$?"
chain $DIST ADD "$CD" c2 c2 "$MAPS"; state "containerd ADD c2 with maps"
chain $DIST CHECK "$CD" c2 c2 "$MAPS"; echo "check rc=$?"
chain $DIST ADD "$CD" c1 c1; state "containerd re-ADD c1"
for v in 0.3.1 0.4.0 1.0.0 1.1.0; do chain $DIST ADD "${BI/VER/$v}" c3-$v c3; chain $DIST CHECK "${BI/VER/$v}" c3-$v c3; chain $DIST DEL "${BI/VER/$v}" c3-$v c3; done
state "bench-bi versions"
chain $DIST ADD "${BI/VER/1.0.0}" c3 c3; state "bench-bi ADD c3"
chain $DIST ADD "$PM" c4 c4 "$MAPS"; state "pmnet ADD c4"
chain $DIST CHECK "$PM" c4 c4 "$MAPS"; echo "check rc=$?"
# cross-implementation
chain $REF ADD "$PM" c5 c5 "$MAPS"; state "REF pmnet ADD c5"
chain $DIST DEL "$PM" c5 c5 "$MAPS"; state "DIST DEL of REF c5"
chain $DIST ADD "$PM" c5 c5 "$MAPS"; chain $REF DEL "$PM" c5 c5 "$MAPS"; state "REF DEL of DIST c5"
chain $REF ADD "$CD" c6 c6; chain $DIST ADD "$CD" c6 c6; state "DIST re-ADD over REF c6"
chain $DIST DEL "$CD" c6 c6; state "DIST DEL c6"
chain $DIST ADD "$CD" c6 c6 "$MAPS"; gcl $DIST "$CD" '[{"containerID":"c1","ifname":"eth0"},{"containerID":"c2","ifname":"eth0"}]'; state "GC CD keeps c1 c2 (c6 stale)"
chain $DIST ADD "$PM" c5 c5 "$MAPS"; gcl $DIST "$PM" '[{"containerID":"c4","ifname":"eth0"}]'; state "GC PM keeps c4"
chain $DIST DEL "$CD" c1 c1; chain $DIST DEL "$CD" c1 c1; state "containerd DEL c1 twice"
chain $DIST DEL "${BI/VER/1.0.0}" c3 c3; chain $DIST DEL "$PM" c4 c4 "$MAPS"; state "DEL c3 c4"
chain $DIST DEL "$CD" c2 c2 "$MAPS"; state "DEL c2"
runp $DIST loopback DEL c1 c1 lo "$LO" 2>&1; echo
# bad input
runp $DIST bridge ADD bad c1 eth0 '{"cniVersion":"1.0.0","name":"x","type":"bridge","ipMasq":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.5.0.0/33"}]],"dataDir":"'$W'/ipam"}}' 2>&1; echo
runp $DIST portmap ADD bad c1 eth0 '{"cniVersion":"1.0.0","name":"x","type":"portmap","runtimeConfig":{"portMappings":[{"hostPort":0,"containerPort":80,"protocol":"tcp"}]},"prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.1.1.2/24"}]}}' 2>&1; echo
state "end"

# nft layout explicitly (bridge masquerade and portmap), sctp and a range of mappings on both layouts
PN='{"cniVersion":"1.0.0","name":"pmnft","plugins":[{"type":"bridge","bridge":"cni2","isGateway":true,"ipMasq":true,"ipMasqBackend":"nftables","ipam":{"type":"host-local","ranges":[[{"subnet":"10.55.0.0/24"}],[{"subnet":"fd55::/64"}]],"dataDir":"'$W'/ipam"}},{"type":"portmap","backend":"nftables","capabilities":{"portMappings":true}}]}'
MAPS2='[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":9393,"containerPort":93,"protocol":"sctp"},{"hostPort":8053,"containerPort":53,"protocol":"udp","hostIP":"10.0.0.1"},{"hostPort":9191,"containerPort":91,"protocol":"tcp","hostIP":"fd00::1"}]'
chain $DIST ADD "$PN" c1 c1 "$MAPS2"; state "pmnft ADD c1"
chain $DIST CHECK "$PN" c1 c1 "$MAPS2"; echo "check rc=$?"
chain $DIST ADD "$PM" c2 c2 "$MAPS2"; state "pmnet ADD c2 sctp"
chain $DIST CHECK "$PM" c2 c2 "$MAPS2"; echo "check rc=$?"
chain $DIST DEL "$PN" c1 c1 "$MAPS2"; chain $DIST DEL "$PM" c2 c2 "$MAPS2"; state "pmnft/pmnet DEL"

# foreign jumps into per-pod chains (not from the layouts' entry chain): DEL keeps what they need
case $TOOLS in system) IPT=iptables-nft;; legacy) IPT=iptables-legacy;; *) IPT="";; esac
chain $DIST ADD "$PM" c1 c1 "$MAPS"; chain $DIST ADD "$PM" c2 c2 "$MAPS"; chain $DIST ADD "$PM" c3 c3 "$MAPS"
if [ -n "$IPT" ]; then
  DN=$($IPT-save -t nat | grep -oE '^:CNI-DN-[0-9a-f]+' | sort | head -1 | tr -d :)
  MQ=$($IPT-save -t nat | grep -oE '^:CNI-[0-9a-f]{24}' | sort | head -1 | tr -d :)
  echo "foreign jumps to $DN $MQ"
  $IPT -t nat -A PREROUTING -p tcp --dport 7777 -j $DN; $IPT -t nat -A OUTPUT -d 192.0.2.99/32 -j $MQ; $IPT -t nat -N FOREIGN; $IPT -t nat -A FOREIGN -j $DN
  DN2=$($IPT-save -t nat | grep -oE '^:CNI-DN-[0-9a-f]+' | sort | sed -n 2p | tr -d :)
  echo "foreign jumps to $DN2 from CNI-HOSTPORT-DNAT and POSTROUTING"
  $IPT -t nat -A CNI-HOSTPORT-DNAT -p udp --dport 5555 -j $DN2; $IPT -t nat -A PREROUTING -p udp --dport 5556 -j $DN2
fi
state "foreign jumps added"
export SHOWERR=1
chain $DIST DEL "$PM" c1 c1 "$MAPS"; chain $DIST DEL "$PM" c2 c2 "$MAPS"; chain $DIST DEL "$PM" c3 c3 "$MAPS"; state "DEL with foreign jumps"
unset SHOWERR

# host-local alone on a prefilled dataDir (old formats, a scratch file, a subdirectory, a non-IP name)
HLD=$W/hl; mkdir -p $HLD/hlnet/sub
printf 'old-ctr\r\neth0' > $HLD/hlnet/10.99.0.2; printf 'old2' > $HLD/hlnet/10.99.0.3; printf 'old-ctr\r\neth0' > $HLD/hlnet/fd99::2
printf '10.99.0.3' > $HLD/hlnet/last_reserved_ip.0; printf 'fd99::2' > $HLD/hlnet/last_reserved_ip.1; : > $HLD/hlnet/lock
: > $HLD/hlnet/.10.99.0.9.new; printf 'sub-ctr\r\neth0' > $HLD/hlnet/sub/10.99.0.7; printf 'old-ctr\r\neth0' > $HLD/hlnet/junk
HL='{"cniVersion":"1.0.0","name":"hlnet","ipam":{"type":"host-local","dataDir":"'$HLD'","ranges":[[{"subnet":"10.99.0.0/24","rangeStart":"10.99.0.2","rangeEnd":"10.99.0.10"}],[{"subnet":"fd99::/64"}]],"routes":[{"dst":"0.0.0.0/0"}]}}'
hls() { echo "== hl state after: $1"; (cd $HLD && for f in $(find . | sort); do [ -f "$f" ] && echo "$f $(stat -c %a $f): $(cat $f | tr '\n\r' '|^')" || echo "$f $(stat -c %a $f) dir"; done); }
hls prefilled
runp $DIST host-local ADD hA c1 eth0 "$HL" 2>&1; echo; hls "ADD hA"
runp $DIST host-local ADD hB c1 eth0 "$HL" 2>&1; echo; hls "ADD hB"
runp $DIST host-local CHECK hA c1 eth0 "$(echo "$HL" | jq -c --argjson r "$(runp $DIST host-local ADD hA c1 eth0 "$HL" 2>/dev/null)" '. + {prevResult:$r}')" 2>&1; echo; hls "ADD hA again + CHECK hA"
runp $DIST host-local ADD old-ctr c1 eth0 "$HL" 2>&1; echo; hls "ADD old-ctr"
runp $DIST host-local DEL old-ctr c1 eth0 "$HL" 2>&1; echo; hls "DEL old-ctr"
runp $DIST host-local DEL old2 c1 eth0 "$HL" 2>&1; echo; hls "DEL old2"
runp $DIST host-local DEL sub-ctr c1 eth0 "$HL" 2>&1; echo; hls "DEL sub-ctr"
runp $DIST host-local GC "" c1 eth0 "$(echo "$HL" | jq -c '. + {cniVersion:"1.1.0","cni.dev/valid-attachments":[{"containerID":"hA","ifname":"eth0"}]}')" 2>&1; echo; hls "GC keeps hA"
runp $DIST host-local DEL hA c1 eth0 "$HL" 2>&1; echo; runp $DIST host-local DEL hB c1 eth0 "$HL" 2>&1; echo; hls "DEL hA hB"
runp $DIST host-local ADD bad c1 eth0 '{"cniVersion":"1.0.0","name":"hlnet","ipam":{"type":"host-local","dataDir":"'$HLD'","ranges":[[{"subnet":"10.99.0.0/24","rangeStart":"10.98.0.2"}]]}}' 2>&1; echo; hls "bad range"
umount $W; rmdir $W

