/**
 * Tiny TCP/UDP servers and clients for the portmap end-to-end tests, run inside a namespace with
 * `nsenter --net=… bun this-file …`.
 *   serve <tag> <tcpPort> <udpPort>   answers "<tag>" to every TCP connection and UDP datagram
 *   tcp <host> <port>                 prints the first reply, or "ERR <reason>" (2 s limit)
 *   udp <host> <port>                 same for one datagram
 */
export {};

const [mode = "", a = "", b = "", c = ""] = process.argv.slice(2);

function done(text: string): never {
  process.stdout.write(`${text}\n`);
  process.exit(0);
}

if (mode === "serve") {
  const tag = a;
  Bun.listen({
    hostname: "0.0.0.0",
    port: Number(b),
    socket: {
      open(s) {
        s.end(tag);
      },
      data() {},
    },
  });
  await Bun.udpSocket({
    hostname: "0.0.0.0",
    port: Number(c),
    socket: {
      data(s, _data, port, addr) {
        s.send(tag, port, addr);
      },
    },
  });
  process.stdout.write("ready\n");
} else if (mode === "tcp") {
  setTimeout(() => done("ERR timeout"), 2000);
  let got = "";
  try {
    await Bun.connect({
      hostname: a,
      port: Number(b),
      socket: {
        data(_s, d) {
          got += new TextDecoder().decode(d);
        },
        close() {
          done(got === "" ? "ERR closed" : got);
        },
        connectError(_s, err) {
          done(`ERR ${err.message}`);
        },
      },
    });
  } catch (err) {
    done(`ERR ${err instanceof Error ? err.message : String(err)}`);
  }
} else if (mode === "udp") {
  setTimeout(() => done("ERR timeout"), 2000);
  const s = await Bun.udpSocket({
    socket: {
      data(_s, d) {
        done(new TextDecoder().decode(d));
      },
    },
  });
  const send = (): void => void s.send("ping", Number(b), a);
  send();
  setInterval(send, 300);
} else {
  done(`ERR unknown mode ${mode}`);
}
