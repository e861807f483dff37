/** HTTP and SOAP behaviour the fake server can force: faults, statuses, resets, slowness, bad XML, paging, sessions. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConnectionError,
  CurrentTime,
  DecodeError,
  HttpStatusError,
  RedirectError,
  RequestAbortedError,
  RequestTimeoutError,
  VimConnection,
  VimFaultError,
  XmlSyntaxError,
  readProperties,
  retrieveContents,
  toProperties,
} from "../index.js";
import { envelope, fault, response, startFakeVim, type FakeVim } from "./support/fake-vim.js";

let fake: FakeVim;
let conn: VimConnection;
const SI = { type: "ServiceInstance", value: "ServiceInstance" } as const;

beforeEach(async () => {
  fake = await startFakeVim();
  conn = await VimConnection.connect(fake.url, { username: "root", password: "s3cret<&>" });
});
afterEach(async () => {
  await conn?.close();
  await fake.close();
});

describe("requests", () => {
  it("POST /sdk with SOAPAction, the session cookie, and an escaped password", () => {
    const login = fake.calls.find((c) => c.method === "Login")!;
    expect(login.body).toContain("<password>s3cret&lt;&amp;&gt;</password>");
    const after = fake.calls.filter(
      (c) => c.method !== "RetrieveServiceContent" && c.method !== "Login",
    );
    expect(after.every((c) => c.cookie === 'vmware_soap_session="abc123"')).toBe(true);
    expect(conn.apiVersion).toBe("5.5");
  });

  it("the password never appears in errors or in the connection's JSON", async () => {
    fake.handle((c) =>
      c.method === "Login"
        ? { status: 500, body: fault("InvalidLogin", "Cannot complete login") }
        : undefined,
    );
    const error = await VimConnection.connect(fake.url, {
      username: "root",
      password: "hunter2",
    }).catch((e: unknown) => e);
    expect(String(error)).not.toContain("hunter2");
    expect(JSON.stringify(error)).not.toContain("hunter2");
    expect(JSON.stringify(conn)).not.toContain("s3cret");
  });
});

describe("responses", () => {
  it("a 500 with a fault is a typed error carrying the decoded fault", async () => {
    fake.handle((c) =>
      c.method === "CurrentTime"
        ? {
            status: 500,
            body: fault(
              "InvalidArgument",
              "A specified parameter was not correct: x",
              "<invalidProperty>x</invalidProperty>",
            ),
          }
        : undefined,
    );
    const error = (await CurrentTime(conn, SI).catch((e: unknown) => e)) as VimFaultError;
    expect(error).toBeInstanceOf(VimFaultError);
    expect([error.faultType, error.faultString]).toEqual([
      "InvalidArgument",
      "A specified parameter was not correct: x",
    ]);
    expect(error.fault).toEqual({ $type: "InvalidArgument", invalidProperty: "x" });
  });

  it("503 and other statuses are HttpStatusError", async () => {
    fake.handle((c) =>
      c.method === "CurrentTime" ? { status: 503, body: "Service Unavailable" } : undefined,
    );
    const error = (await CurrentTime(conn, SI).catch((e: unknown) => e)) as HttpStatusError;
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error.status).toBe(503);
  });

  it("the body of an unexpected status is read to its end, freeing the connection", async () => {
    // Unread, each 1 MB page would hold its socket until the call's timeout (5 min): the
    // ninth call would then wait for one of the 8 sockets.
    const page = "<html>" + "x".repeat(1_000_000) + "</html>";
    fake.handle((c) => (c.method === "CurrentTime" ? { status: 503, body: page } : undefined));
    for (let i = 0; i < 12; i++) {
      const error = await CurrentTime(conn, SI).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpStatusError);
    }
    fake.handle(() => ({
      body: response("CurrentTime", "<returnval>2026-12-07T05:30:00Z</returnval>"),
    }));
    expect(await CurrentTime(conn, SI)).toEqual(new Date("2026-12-07T05:30:00Z"));
  });

  it("redirects are refused, naming the target", async () => {
    fake.handle((c) =>
      c.method === "CurrentTime"
        ? { status: 301, body: "", headers: { Location: "https://elsewhere.example/sdk" } }
        : undefined,
    );
    const error = (await CurrentTime(conn, SI).catch((e: unknown) => e)) as RedirectError;
    expect(error).toBeInstanceOf(RedirectError);
    expect(error.message).toBe(
      "CurrentTime: the server redirects (HTTP 301) to https://elsewhere.example/sdk; redirects are not followed",
    );
  });

  it("a connection reset is a ConnectionError", async () => {
    fake.handle((c) => (c.method === "CurrentTime" ? "reset" : undefined));
    const error = (await CurrentTime(conn, SI).catch((e: unknown) => e)) as ConnectionError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/^CurrentTime: the connection was reset/);
  });

  it("a slow answer times out at the call's timeout", async () => {
    fake.handle((c) =>
      c.method === "CurrentTime"
        ? {
            body: response("CurrentTime", "<returnval>2024-01-01T00:00:00Z</returnval>"),
            delayMs: 2000,
          }
        : undefined,
    );
    const started = Date.now();
    const error = await CurrentTime(conn, SI, { timeout: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as Error).message).toBe("CurrentTime timed out after 200 ms");
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("an AbortSignal aborts the call", async () => {
    fake.handle((c) => (c.method === "CurrentTime" ? "hang" : undefined));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(CurrentTime(conn, SI, { signal: controller.signal })).rejects.toThrow(
      RequestAbortedError,
    );
  });

  it("malformed XML is an XmlSyntaxError; well-formed nonsense a DecodeError", async () => {
    fake.handle((c) =>
      c.method === "CurrentTime"
        ? { body: envelope("<CurrentTimeResponse xmlns='urn:vim25'><returnval>2024") }
        : undefined,
    );
    await expect(CurrentTime(conn, SI)).rejects.toThrow(XmlSyntaxError);
    fake.handle((c) =>
      c.method === "CurrentTime"
        ? { body: response("CurrentTime", "<returnval>yesterday</returnval>") }
        : undefined,
    );
    await expect(CurrentTime(conn, SI)).rejects.toThrow(
      new DecodeError(
        "'yesterday' is not an xsd:dateTime",
        "Envelope/Body/CurrentTimeResponse/returnval",
      ),
    );
    fake.handle((c) =>
      c.method === "CurrentTime" ? { body: "<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>" } : undefined,
    );
    await expect(CurrentTime(conn, SI)).rejects.toThrow("DOCTYPE is not allowed");
  });
});

describe("property collector paging", () => {
  const page = (method: string, token: string | undefined, ids: number[]) =>
    response(
      method,
      `<returnval>${token ? `<token>${token}</token>` : ""}` +
        ids
          .map(
            (i) =>
              `<objects><obj type="VirtualMachine">vm-${i}</obj><propSet><name>name</name><val xsi:type="xsd:string">vm ${i}</val></propSet></objects>`,
          )
          .join("") +
        `</returnval>`,
    );
  const spec = {
    propSet: [{ type: "VirtualMachine", pathSet: ["name"] }],
    objectSet: [{ obj: { type: "Folder", value: "f" } }],
  };

  it("follows tokens with ContinueRetrievePropertiesEx", async () => {
    fake.handle((c) => {
      if (c.method === "RetrievePropertiesEx") return { body: page(c.method, "t1", [1, 2]) };
      if (c.method === "ContinueRetrievePropertiesEx") {
        return {
          body: c.body.includes("<token>t1</token>")
            ? page(c.method, "t2", [3, 4])
            : page(c.method, undefined, [5]),
        };
      }
      return undefined;
    });
    const names: string[] = [];
    for await (const o of retrieveContents(conn, [spec], { pageSize: 2 }))
      names.push(o.propSet![0]!.val as string);
    expect(names).toEqual(["vm 1", "vm 2", "vm 3", "vm 4", "vm 5"]);
    expect(fake.calls.find((c) => c.method === "RetrievePropertiesEx")!.body).toContain(
      "<options><maxObjects>2</maxObjects></options>",
    );
    expect(fake.calls.some((c) => c.method === "CancelRetrievePropertiesEx")).toBe(false);
  });

  it("cancels the result set when the caller stops early", async () => {
    fake.handle((c) =>
      c.method === "RetrievePropertiesEx" ? { body: page(c.method, "t1", [1, 2]) } : undefined,
    );
    for await (const o of retrieveContents(conn, [spec], { pageSize: 2 })) {
      expect(o.obj.value).toBe("vm-1");
      break;
    }
    const cancel = fake.calls.find((c) => c.method === "CancelRetrievePropertiesEx");
    expect(cancel?.body).toContain("<token>t1</token>");
    expect(fake.calls.some((c) => c.method === "ContinueRetrievePropertiesEx")).toBe(false);
  });
});

describe("property records", () => {
  it("a property path from the server is an own key, even __proto__ or toString", async () => {
    const prop = (name: string, val: string) =>
      `<propSet><name>${name}</name><val xsi:type="xsd:string">${val}</val></propSet>`;
    fake.handle((c) =>
      c.method === "RetrievePropertiesEx"
        ? {
            body: response(
              c.method,
              `<returnval><objects><obj type="VirtualMachine">vm-1</obj>` +
                prop("__proto__", "p") +
                prop("toString", "t") +
                prop("name", "vm 1") +
                `</objects></returnval>`,
            ),
          }
        : undefined,
    );
    const vm = { type: "VirtualMachine", value: "vm-1" } as const;
    const paths = ["__proto__", "toString", "name"];
    const read = await readProperties<Record<string, unknown>>(conn, vm, paths);
    const spec = {
      propSet: [{ type: "VirtualMachine", pathSet: paths }],
      objectSet: [{ obj: vm }],
    };
    const listed: Record<string, unknown>[] = [];
    for await (const o of retrieveContents(conn, [spec]))
      listed.push(toProperties<Record<string, unknown>>(o).props);
    for (const record of [read, listed[0]!]) {
      expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
      expect(Object.keys(record)).toEqual(paths);
      expect(Object.getOwnPropertyDescriptor(record, "__proto__")?.value).toBe("p");
      expect(record.toString).toBe("t");
      expect(record.name).toBe("vm 1");
    }
  });
});

describe("sessions", () => {
  it("NotAuthenticated: logs in again once and retries; concurrent calls share the re-login", async () => {
    let expired = true;
    fake.handle((c) => {
      if (c.method === "Login") expired = false;
      if (c.method === "CurrentTime" && expired)
        return {
          status: 500,
          body: fault("NotAuthenticated", "The session is not authenticated."),
        };
      if (c.method === "CurrentTime")
        return {
          body: response("CurrentTime", "<returnval>2024-01-01T00:00:00Z</returnval>"),
          delayMs: 20,
        };
      return undefined;
    });
    const logins = () => fake.calls.filter((c) => c.method === "Login").length;
    const before = logins();
    const results = await Promise.all([
      CurrentTime(conn, SI),
      CurrentTime(conn, SI),
      CurrentTime(conn, SI),
    ]);
    expect(results.map((d) => d.toISOString())).toEqual(Array(3).fill("2024-01-01T00:00:00.000Z"));
    expect(logins() - before).toBe(1);
    expect(conn.reloginCount).toBe(1);
  });

  it("calls that are not safe to retry are not retried", async () => {
    fake.handle((c) => {
      if (c.method === "ContinueRetrievePropertiesEx")
        return { status: 500, body: fault("NotAuthenticated", "expired") };
      return undefined;
    });
    const { ContinueRetrievePropertiesEx } = await import("../index.js");
    const error = (await ContinueRetrievePropertiesEx(conn, { token: "t" }).catch(
      (e: unknown) => e,
    )) as VimFaultError;
    expect(error.faultType).toBe("NotAuthenticated");
    expect(fake.calls.filter((c) => c.method === "Login").length).toBe(1);
  });

  it("keepalive: CurrentTime when idle", async () => {
    fake.handle((c) =>
      c.method === "CurrentTime"
        ? { body: response("CurrentTime", "<returnval>2024-01-01T00:00:00Z</returnval>") }
        : undefined,
    );
    const kept = await VimConnection.connect(fake.url, {
      username: "root",
      password: "pw",
      keepAliveMs: 1000,
    });
    await new Promise((r) => setTimeout(r, 2600));
    expect(fake.calls.filter((c) => c.method === "CurrentTime").length).toBeGreaterThanOrEqual(1);
    await kept.close();
  });

  it("close logs out", async () => {
    await conn.close();
    expect(fake.calls.at(-1)!.method).toBe("Logout");
    await expect(CurrentTime(conn, SI)).rejects.toThrow("CurrentTime: the connection is closed");
  });
});

describe("screenshots", () => {
  it("streams /screen?id=<encoded reference value> with the session cookie", async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);
    fake.handle((c) =>
      c.method === "GET /screen?id=vm%2d1"
        ? { body: png, headers: { "Content-Type": "image/png" } }
        : undefined,
    );
    const { screenshot } = await import("../index.js");
    const stream = await screenshot(conn, { type: "VirtualMachine", value: "vm-1" });
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(png)).toBe(true);
    expect(fake.calls.at(-1)!.cookie).toBe('vmware_soap_session="abc123"');
    fake.handle(() => ({ status: 404, body: "no" }));
    await expect(screenshot(conn, { type: "VirtualMachine", value: "vm-2" })).rejects.toThrow(
      "screenshot of vm-2 failed: HTTP 404",
    );
  });
});

describe("API version negotiation", () => {
  it("speaks the lower of the server's apiVersion and the schema's (5.5)", async () => {
    const { lowerVersion } = await import("../index.js");
    expect(lowerVersion("6.5", "5.5")).toBe("5.5");
    expect(lowerVersion("5.1", "5.5")).toBe("5.1");
    expect(lowerVersion("5.5", "5.5")).toBe("5.5");
    expect(lowerVersion("4.1", "5.5")).toBe("4.1");
    const older = await startFakeVim();
    older.handle((c) => {
      if (c.method !== "RetrieveServiceContent") return undefined;
      return {
        body: response(
          c.method,
          `<returnval><rootFolder type="Folder">f</rootFolder><propertyCollector type="PropertyCollector">pc</propertyCollector>` +
            `<about><name>VMware ESXi</name><fullName>ESXi 5.1</fullName><vendor>VMware, Inc.</vendor><version>5.1.0</version><build>1</build>` +
            `<osType>vmnix-x86</osType><productLineId>embeddedEsx</productLineId><apiType>HostAgent</apiType><apiVersion>5.1</apiVersion></about>` +
            `<sessionManager type="SessionManager">sm</sessionManager></returnval>`,
        ),
      };
    });
    const c = await VimConnection.connect(older.url, { username: "root", password: "pw" });
    expect(c.apiVersion).toBe("5.1");
    await CurrentTime(c, SI).catch(() => undefined);
    expect(older.calls.at(-1)).toMatchObject({
      method: "CurrentTime",
      soapAction: "urn:vim25/5.1",
    });
    await c.close();
    await older.close();
  });

  it("refuses servers below libvirt's minimums", async () => {
    const ancient = await startFakeVim();
    ancient.handle((c) =>
      c.method === "RetrieveServiceContent"
        ? {
            body: response(
              c.method,
              `<returnval><rootFolder type="Folder">f</rootFolder><propertyCollector type="PropertyCollector">pc</propertyCollector>` +
                `<about><name>VMware ESX</name><fullName>ESX 3.0</fullName><vendor>VMware, Inc.</vendor><version>3.0.0</version><build>1</build>` +
                `<osType>vmnix-x86</osType><productLineId>esx</productLineId><apiType>HostAgent</apiType><apiVersion>2.5</apiVersion></about>` +
                `<sessionManager type="SessionManager">sm</sessionManager></returnval>`,
            ),
          }
        : undefined,
    );
    await expect(
      VimConnection.connect(ancient.url, { username: "root", password: "pw" }),
    ).rejects.toThrow("ESX 3.0: version 3.0.0 is older than the minimum 3.5 for esx");
    await ancient.close();
  });
});
