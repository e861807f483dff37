import { describe, expect, it } from "vitest";
import {
  DecodeError,
  XmlSyntaxError,
  XmlTokenizer,
  deserialize,
  serialize,
  type XmlHandler,
} from "../index.js";
import { compileSchema, readSchemaDir } from "../generator/load.js";
import { SampleFactory } from "./support/samples.js";

type Event = ["open", string, string, Record<string, string>] | ["text", string] | ["close"];

/** Tokenize, merging adjacent text events (their split depends on chunking). */
function events(chunks: Array<string | Uint8Array>, attrs: Array<[string, string]> = []): Event[] {
  return tokenize(chunks, attrs).events;
}

/** events, and the tokenizer that read them. */
function tokenize(
  chunks: Array<string | Uint8Array>,
  attrs: Array<[string, string]> = [],
): { events: Event[]; tokenizer: XmlTokenizer } {
  const out: Event[] = [];
  const handler: XmlHandler = {
    openElement(ns, local, t) {
      const a: Record<string, string> = {};
      for (const [ans, alocal] of attrs) {
        const v = t.attribute(ans, alocal);
        if (v !== undefined) a[`{${ans}}${alocal}`] = v;
      }
      out.push(["open", ns, local, a]);
    },
    text(text) {
      const last = out[out.length - 1];
      if (last?.[0] === "text") last[1] += text;
      else out.push(["text", text]);
    },
    closeElement() {
      out.push(["close"]);
    },
  };
  const t = new XmlTokenizer(handler);
  for (const c of chunks) t.write(c);
  t.end();
  return { events: out, tokenizer: t };
}

function syntaxError(xml: string): XmlSyntaxError {
  try {
    events([xml]);
  } catch (e) {
    if (e instanceof XmlSyntaxError) return e;
    throw e;
  }
  throw new Error("no error");
}

describe("XmlTokenizer", () => {
  it("decodes the predefined entities, character references and CDATA", () => {
    expect(
      events([
        "<a>&lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#x1F600; <![CDATA[<raw> & ]]]]><!-- c --></a>",
      ]),
    ).toEqual([["open", "", "a", {}], ["text", "<>&\"' AB😀 <raw> & ]]"], ["close"]]);
  });

  it("skips the XML declaration, comments, processing instructions and a BOM", () => {
    expect(
      events(['\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<!-- hi --><?pi x?><a/>\n']),
    ).toEqual([["open", "", "a", {}], ["close"]]);
  });

  it("resolves namespaces: default, prefixed, redeclared and scoped", () => {
    const xml =
      '<s:E xmlns:s="urn:s" xmlns="urn:d"><B><s:C xmlns:s="urn:t"/></B><s:D/><x:F xmlns:x="urn:d" xmlns=""><G/></x:F></s:E>';
    expect(
      events([xml])
        .filter((e) => e[0] === "open")
        .map((e) => `${e[1]} ${e[2]}`),
    ).toEqual(["urn:s E", "urn:d B", "urn:t C", "urn:s D", "urn:d F", " G"]);
  });

  it("gives attributes by namespace; unprefixed attributes have none", () => {
    const xml = '<a xmlns="urn:d" xmlns:i="urn:i" type="t1" i:type="t2" other="&lt;x&gt;&#10;"/>';
    expect(
      events(
        [xml],
        [
          ["", "type"],
          ["urn:i", "type"],
          ["urn:d", "type"],
          ["", "other"],
        ],
      ),
    ).toEqual([
      ["open", "urn:d", "a", { "{}type": "t1", "{urn:i}type": "t2", "{}other": "<x>\n" }],
      ["close"],
    ]);
  });

  it("normalises line ends in text and whitespace in attributes", () => {
    expect(events(['<a b="x\ty\r\nz">1\r\n2\r3&#13;</a>'], [["", "b"]])).toEqual([
      ["open", "", "a", { "{}b": "x y z" }],
      ["text", "1\n2\n3\r"],
      ["close"],
    ]);
  });

  it("gives the same events whatever the chunking, with UTF-8 split inside characters", () => {
    const xml =
      '<?xml version="1.0"?><r xmlns="urn:vim25"><s a="é&amp;日">Über 日本 😀 &amp; &#x65E5;<![CDATA[ü]]></s><!-- 😀 --><t/></r>';
    const bytes = new TextEncoder().encode(xml);
    const whole = events([bytes]);
    const oneByOne = events(
      [...bytes].map((b) => new Uint8Array([b])),
      [["", "a"]],
    );
    expect(events([bytes], [["", "a"]])).toEqual(oneByOne);
    for (const size of [2, 3, 5, 7, 13]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(events(chunks)).toEqual(whole);
    }
  });

  it("joins a surrogate pair split across string chunks", () => {
    const xml = '<r a="x😀y">a😀b<s>😀</s><![CDATA[😀]]>😀</r>';
    const whole = events([xml], [["", "a"]]);
    expect(whole[1]).toEqual(["text", "a😀b"]);
    for (const size of [1, 2, 3, 5]) {
      const chunks: string[] = [];
      for (let i = 0; i < xml.length; i += size) chunks.push(xml.slice(i, i + size));
      expect(events(chunks, [["", "a"]]), `chunks of ${size}`).toEqual(whole);
    }
    // Bytes cannot complete it: an error, not a U+FFFD in its place.
    expect(() => events(["<r>a\uD83D", new TextEncoder().encode("b</r>")])).toThrow(
      /ends in half a surrogate pair, and bytes follow/,
    );
    expect(events(["<r>a", new TextEncoder().encode("😀</r>")])[1]).toEqual(["text", "a😀"]);
  });

  it("reads what arrives in chunks smaller than it once or a few times over, not once per chunk", () => {
    // What a run leaves (a token, or a text held back for its end tag) is read again with
    // more input only once that input is as long as itself: linear time, where reading it
    // again with each chunk was quadratic (a 4 MB comment in 1,400-byte chunks took 3 s).
    const docs = (n: number): Record<string, string> => ({
      leaf: `<r><a>${"x".repeat(n)}</a></r>`,
      comment: `<r><!--${"x".repeat(n)}--></r>`,
      cdata: `<r><![CDATA[${"x".repeat(n)}]]></r>`,
      attribute: `<r><a b="${"x".repeat(n)}"/></r>`,
      "non-ASCII text": `<r><a>${"é日😀".repeat(n / 4)}</a></r>`,
    });
    for (const [n, sizes] of [
      [20_000, [1, 7]],
      [300_000, [1400, 16384]],
    ] as const) {
      for (const [name, xml] of Object.entries(docs(n))) {
        const whole = events([xml], [["", "b"]]);
        const bytes = new TextEncoder().encode(xml);
        for (const size of sizes) {
          for (const input of ["bytes", "strings"] as const) {
            const all = input === "bytes" ? bytes : xml;
            const chunks: Array<string | Uint8Array> = [];
            for (let i = 0; i < all.length; i += size) chunks.push(all.slice(i, i + size));
            const { events: seen, tokenizer } = tokenize(chunks, [["", "b"]]);
            const what = `${name}, ${n} characters, in ${input} of ${size}`;
            expect(seen, what).toEqual(whole);
            expect(tokenizer.charsBuffered, what).toBeLessThanOrEqual(4 * xml.length);
          }
        }
      }
    }
  });

  it("takes the leaf fast path with the same results, whatever the chunking", () => {
    // Leaves with references and CRs, and one attribute list repeated where its prefix is
    // bound to the XSI namespace and where it is not (the cache must not carry that over).
    const xsi = "http://www.w3.org/2001/XMLSchema-instance";
    const xml =
      `<r xmlns="urn:vim25" xmlns:p="${xsi}">` +
      `<v p:type="xsd:string">a &amp; b\r\nc&#13;</v>` +
      `<q xmlns:p="urn:other"><v p:type="xsd:string">x</v></q>` +
      `<v p:type="xsd:string">long enough to be a slice &lt;ok&gt;</v>` +
      `<m type="VirtualMachine">vm-1</m><e/><e></e>` +
      // Long texts without references: copied out of ASCII bytes, or out of decoded text.
      `<s>DC0_C0_RP0_VM0/DC0_C0_RP0_VM0.vmx</s><s>naïve café, Grüße — long enough</s>` +
      `</r>`;
    type Seen = [string, string, string, string | undefined, string | undefined];
    const run = (chunks: Array<string | Uint8Array>, leaves: boolean): Seen[] => {
      const out: Seen[] = [];
      let open: Seen | undefined;
      const handler: XmlHandler = {
        openElement(ns, local, t) {
          open = [ns, local, "", t.xsiType, t.typeAttribute];
          out.push(open);
        },
        text(text) {
          open![2] += text;
        },
        closeElement() {},
      };
      if (leaves)
        handler.leafElement = (ns, local, t) => {
          // The view to parse and the copy to keep hold the same text.
          const text = t.ownLeafText();
          expect(t.leafText()).toBe(text);
          out.push([ns, local, text, t.xsiType, t.typeAttribute]);
        };
      const t = new XmlTokenizer(handler);
      for (const c of chunks) t.write(c);
      t.end();
      return out;
    };
    const expected = run([xml], false);
    expect(expected.filter((e) => e[1] === "v").map((e) => [e[2], e[3]])).toEqual([
      ["a & b\nc\r", "xsd:string"],
      ["x", undefined],
      ["long enough to be a slice <ok>", "xsd:string"],
    ]);
    expect(expected.filter((e) => e[1] === "s").map((e) => e[2])).toEqual([
      "DC0_C0_RP0_VM0/DC0_C0_RP0_VM0.vmx",
      "naïve café, Grüße — long enough",
    ]);
    expect(expected.find((e) => e[1] === "m")).toEqual([
      "urn:vim25",
      "m",
      "vm-1",
      undefined,
      "VirtualMachine",
    ]);
    const bytes = new TextEncoder().encode(xml);
    for (const size of [1, 2, 3, 5, 8, 13, 40, bytes.length]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(run(chunks, true)).toEqual(expected);
      expect(run(chunks, false)).toEqual(expected);
    }
  });

  it("reads a leaf whole however the input is cut, and streams a text too long to wait for", () => {
    type Seen = [string, string, string];
    const record = (chunks: Uint8Array[]): { seen: Seen[]; firstTextAtWrite: number } => {
      const seen: Seen[] = [];
      let writes = 0;
      let firstTextAtWrite = -1;
      const t = new XmlTokenizer({
        openElement: (_ns, local) => void seen.push(["open", local, ""]),
        text(text) {
          if (firstTextAtWrite < 0) firstTextAtWrite = writes;
          const last = seen[seen.length - 1]!;
          if (last[0] === "text") last[2] += text;
          else seen.push(["text", "", text]);
        },
        closeElement: () => void seen.push(["close", "", ""]),
        leafElement: (_ns, local, tk) => void seen.push(["leaf", local, tk.ownLeafText()]),
      });
      for (const c of chunks) {
        writes++;
        t.write(c);
      }
      t.end();
      return { seen, firstTextAtWrite };
    };
    const cut = (bytes: Uint8Array, size: number) => {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      return chunks;
    };

    // An element or text a chunk ends in waits for the next chunk: every leaf is seen whole.
    const small = new TextEncoder().encode(
      '<r><a>text one</a><b x="1">two &amp; three\r\n</b><c>4</c><d><e>5</e></d></r>',
    );
    const expected: Seen[] = [
      ["open", "r", ""],
      ["leaf", "a", "text one"],
      ["leaf", "b", "two & three\n"],
      ["leaf", "c", "4"],
      ["open", "d", ""],
      ["leaf", "e", "5"],
      ["close", "", ""],
      ["close", "", ""],
    ];
    for (const size of [1, 2, 3, 7, small.length])
      expect(record(cut(small, size)).seen).toEqual(expected);

    // A text longer than what is held back (1 MiB) is passed on while it arrives.
    const text = "0123456789abcdef".repeat(3 * 65536); // 3 MiB
    const chunks = cut(new TextEncoder().encode(`<r><big>${text}</big></r>`), 65536);
    const { seen, firstTextAtWrite } = record(chunks);
    expect(seen).toEqual([
      ["open", "r", ""],
      ["open", "big", ""],
      ["text", "", text],
      ["close", "", ""],
      ["close", "", ""],
    ]);
    expect(chunks.length).toBe(49);
    expect(firstTextAtWrite).toBeGreaterThan(0);
    expect(firstTextAtWrite).toBeLessThanOrEqual(18); // once more than 1 MiB waits
  });

  it("resolves prefixes among many declarations, hidden and restored by scope", () => {
    // Past 32 bindings in scope, prefixes are found through an index (a scan per prefixed
    // name was quadratic); it follows every declaration in and out of scope.
    const decls = (from: number, to: number, uri: string) =>
      Array.from({ length: to - from }, (_, k) => `xmlns:p${from + k}="${uri}${from + k}"`).join(
        " ",
      );
    const xml =
      `<r ${decls(0, 10, "urn:root")}>` +
      `<p0:a ${decls(10, 40, "urn:a")}>` + // 40 in scope: indexed
      `<p0:b xmlns:p0="urn:b" xmlns:p39="urn:b"><p0:c/><p39:c/><p5:c/></p0:b>` +
      `<p0:d/><p39:d/><p32:d/><p12:d i:type="T" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"/>` +
      `</p0:a>` + // 10 in scope: scanned again
      `<p0:e/><p9:e/>` +
      `<p1:f ${decls(10, 35, "urn:f")}><p0:g xmlns:p0="urn:g"/><p0:g/><p34:g/><p32:g/></p1:f>` +
      `<p0:h/>` +
      `</r>`;
    const opened = events([xml], [["http://www.w3.org/2001/XMLSchema-instance", "type"]])
      .filter((e) => e[0] === "open")
      .map((e) => `${e[1]} ${e[2]}${Object.values(e[3]).join("")}`);
    expect(opened).toEqual([
      " r",
      "urn:root0 a",
      "urn:b b",
      "urn:b c",
      "urn:b c",
      "urn:root5 c",
      "urn:root0 d",
      "urn:a39 d",
      "urn:a32 d",
      "urn:a12 dT",
      "urn:root0 e",
      "urn:root9 e",
      "urn:root1 f",
      "urn:g g",
      "urn:root0 g",
      "urn:f34 g",
      "urn:f32 g",
      "urn:root0 h",
    ]);
    // Out of scope is undeclared, indexed or not.
    expect(() => events([`<r ${decls(0, 40, "urn:r")}><p0:a xmlns:q="urn:q"/><q:b/></r>`])).toThrow(
      /undeclared namespace prefix 'q'/,
    );
  });

  it("finds a duplicate among many attributes", () => {
    const many = Array.from({ length: 100 }, (_, k) => `a${k}="${k}"`).join(" ");
    const read = events(
      [`<r ${many}/>`],
      [
        ["", "a0"],
        ["", "a99"],
      ],
    );
    expect(read[0]).toEqual(["open", "", "r", { "{}a0": "0", "{}a99": "99" }]);
    for (const dup of ["a0", "a15", "a16", "a99"]) {
      expect(() => events([`<r ${many} ${dup}="x"/>`]), dup).toThrow(
        new RegExp(`duplicate attribute '${dup}'`),
      );
    }
    expect(() => events(['<r a="1" b="2" a="3"/>'])).toThrow(/duplicate attribute 'a'/);
  });

  it("refuses a DOCTYPE, so no entity can be declared or expanded", () => {
    const bomb =
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>';
    expect(syntaxError(bomb).message).toBe(
      "XML syntax error at line 1, column 1: DOCTYPE is not allowed (entity declarations are refused)",
    );
    expect(syntaxError("<a>&ext;</a>").reason).toBe(
      "undefined entity '&ext;' (only the five predefined entities are allowed)",
    );
  });

  it("reads attributes of lists too long to cache, and of cached lists, alike", () => {
    const long = "x".repeat(300); // a list longer than the cache takes is parsed every time
    const xml = `<r xmlns:p="urn:p"><a b="${long}" p:c="1"/><a b="${long}" p:c="1"/><a b="y" p:c="2"/><a b="y" p:c="2"/></r>`;
    const attrs: Array<[string, string]> = [
      ["", "b"],
      ["urn:p", "c"],
    ];
    const opened = events([xml], attrs).filter((e) => e[0] === "open" && e[2] === "a");
    expect(opened.map((e) => e[3])).toEqual([
      { "{}b": long, "{urn:p}c": "1" },
      { "{}b": long, "{urn:p}c": "1" },
      { "{}b": "y", "{urn:p}c": "2" },
      { "{}b": "y", "{urn:p}c": "2" },
    ]);
  });

  it("reads attribute lists of one length, more of them than the cache keeps, as written", () => {
    // Twelve lists of the same length (the cache keeps eight per length), in a mixed order,
    // one of them also with the prefix bound to another namespace on the way.
    const types = Array.from({ length: 12 }, (_, i) => `T${String.fromCharCode(65 + i)}`);
    const order = Array.from({ length: 120 }, (_, k) => types[(k * 7) % 12]!);
    const xml =
      `<r xmlns:p="urn:p">${order.map((t) => `<e p:t="${t}"/>`).join("")}` +
      `<s xmlns:p="urn:q"><e p:t="TA"/></s></r>`;
    for (const size of [7, xml.length]) {
      const chunks = [];
      for (let i = 0; i < xml.length; i += size) chunks.push(xml.slice(i, i + size));
      const opened = events(chunks, [
        ["urn:p", "t"],
        ["urn:q", "t"],
      ]).filter((e) => e[0] === "open" && e[2] === "e");
      expect(opened.map((e) => e[3])).toEqual([
        ...order.map((t) => ({ "{urn:p}t": t })),
        { "{urn:q}t": "TA" },
      ]);
    }
  });

  it.each([
    ["<a><b></a>", "end tag </a> does not match <b>", 1, 7, "a/b"],
    ["<a>\n  <b>\n</a>", "end tag </a> does not match <b>", 3, 1, "a/b"],
    ["<a>", "unexpected end of input: <a> is not closed", 1, 4, "a"],
    // The path after elements closed: only the open ones, none of those closed before.
    ["<a><b><c/></b><d></a>", "end tag </a> does not match <d>", 1, 18, "a/d"],
    ["<a><bbb></bbb><c>", "unexpected end of input: <c> is not closed", 1, 18, "a/c"],
    ["<a/><b/>", "more than one root element", 1, 5, ""],
    ["<a/>text", "text outside the root element", 1, 5, ""],
    ["<a>&#0;</a>", "invalid character reference '&#0;'", 1, 4, "a"],
    ['<a b="1" b="2"/>', "duplicate attribute 'b'", 1, 10, ""],
    ["<a b=1/>", "attribute 'b' value must be quoted", 1, 6, ""],
    ["<p:a/>", "undeclared namespace prefix 'p'", 1, 1, "p:a"],
    ["<a>&amp</a>", "unterminated entity reference", 1, 4, "a"],
    ["", "no root element", 1, 1, ""],
  ])("reports %j as a syntax error with its position", (xml, reason, line, column, path) => {
    const e = syntaxError(xml);
    expect([e.reason, e.line, e.column, e.elementPath]).toEqual([reason, line, column, path]);
  });

  it("reports invalid UTF-8", () => {
    const t = new XmlTokenizer({ openElement() {}, text() {}, closeElement() {} });
    expect(() => t.write(new Uint8Array([0x3c, 0x61, 0x3e, 0xff]))).toThrow(/invalid UTF-8/);
  });
});

describe("malformed input never crashes or hangs the decoder", () => {
  const ir = compileSchema(readSchemaDir("schema"));
  const samples = new SampleFactory(ir);
  const documents = [
    "HostDatastoreBrowserSearchResults",
    "TaskInfo",
    "ObjectContent",
    "VirtualMachineSummary",
    "PropertyFilterSpec",
  ].map((name) => [name, serialize(name, samples.object(name))] as const);

  it("throws only XmlSyntaxError or DecodeError on 3,000 random corruptions", () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = [
      "<",
      ">",
      "/",
      "&",
      ";",
      '"',
      "=",
      "<x>",
      "</x>",
      "&#",
      "]]>",
      "<![CDATA[",
      'xsi:type="Nope"',
      "\u0000",
      "😀",
      " ",
    ];
    let failures = 0;
    let decoded = 0;
    for (let i = 0; i < 3000; i++) {
      const [name, xml] = documents[i % documents.length]!;
      const at = random(xml.length);
      const mutated =
        i % 3 === 0
          ? xml.slice(0, at) + pieces[random(pieces.length)] + xml.slice(at)
          : i % 3 === 1
            ? xml.slice(0, at) + xml.slice(at + 1 + random(20))
            : xml.slice(0, at);
      try {
        deserialize(name, mutated);
        decoded++;
      } catch (e) {
        if (!(e instanceof XmlSyntaxError || e instanceof DecodeError))
          throw new Error(`untyped failure on ${JSON.stringify(mutated)}`, { cause: e });
        failures++;
      }
    }
    expect(failures + decoded).toBe(3000);
    expect(failures).toBeGreaterThan(2000);
  });
});
