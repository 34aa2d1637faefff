/**
 * The VERSION answer as the entry gives it without loading a second module. Only plugins/main.ts
 * imports this file, so the bundler keeps it in the entry's own chunk; src/cni/spec-versions.ts,
 * which src/cni shares, would be a chunk of its own, and every chunk a VERSION exec loaded cost it
 * ~0.05 ms of CPU (docs/performance.md). A copy: test/unit/plugins/entry-version.test.ts proves
 * it equal to spec-versions.ts's document.
 */
export const ENTRY_VERSION_DOCUMENT = `{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n`;
