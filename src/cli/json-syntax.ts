/**
 * Where a JSON text stops being JSON, as "line L, column C" for an operator's editor. Bun's
 * JSON.parse names the problem but not its place; this scanner walks the RFC 8259 grammar only
 * to find the first byte that breaks it (the parse itself stays JSON.parse's).
 */

class SyntaxAt extends Error {
  constructor(readonly offset: number) {
    super("JSON syntax error");
  }
}

function scan(text: string): void {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i] ?? "")) i++;
  };
  const fail = (): never => {
    throw new SyntaxAt(i);
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = (): void => {
    i++; // the opening quote
    while (i < text.length) {
      const c = text[i] ?? "";
      if (c === '"') return void i++;
      if (c < " ") fail();
      if (c === "\\") {
        const e = text[i + 1] ?? "";
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) (i += 2), fail();
          i += 6;
        } else if ('"\\/bfnrt'.includes(e) && e !== "") i += 2;
        else (i += 1), fail();
        continue;
      }
      i++;
    }
    fail();
  };
  const number = (): void => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (m === null) fail();
    else i += m[0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail();
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return void i++;
        else fail();
      }
    }
    if (c === '"') return string();
    if (c === "t") return literal("true");
    if (c === "f") return literal("false");
    if (c === "n") return literal("null");
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return number();
    fail();
  };
  value();
  ws();
  if (i < text.length) fail();
}

/** "line L, column C" (1-based, columns in characters) of the first syntax error; undefined when `text` is JSON. */
export function jsonSyntaxPosition(text: string): string | undefined {
  try {
    scan(text);
    return undefined;
  } catch (err) {
    if (!(err instanceof SyntaxAt)) throw err;
    const before = text.slice(0, err.offset);
    const line = before.split("\n").length;
    const column = err.offset - (before.lastIndexOf("\n") + 1) + 1;
    return `line ${line}, column ${column}`;
  }
}
