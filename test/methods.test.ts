import { describe, expect, it } from "vitest";
import {
  CreateContainerView,
  DecodeError,
  FindByUuid,
  HttpStatusError,
  Login,
  PowerOnVM_Task,
  QueryPerfCounter,
  RetrieveServiceContent,
  SoapClient,
  UnboundThisError,
  VimFaultError,
  WaitForUpdatesEx,
  retrieveVirtualMachine,
  vimPropertyTypes,
  vimTypes,
  type Transport,
} from "../index.js";

interface Exchange {
  body: string;
  soapAction: string;
}

/** A transport that records requests and answers from a script. */
function scripted(...answers: Array<{ status?: number; body: string; chunked?: boolean }>) {
  const requests: Exchange[] = [];
  const transport: Transport = {
    async post(request) {
      requests.push({ body: request.body, soapAction: request.soapAction });
      const answer = answers.shift();
      if (!answer) throw new Error("unexpected request");
      const bytes = new TextEncoder().encode(answer.body);
      // Deliver in small chunks to exercise decoding while bytes arrive.
      const body = answer.chunked
        ? (async function* () {
            for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
          })()
        : answer.body;
      return { status: answer.status ?? 200, body };
    },
  };
  return { transport, requests };
}

const envelope = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${inner}</soapenv:Body></soapenv:Envelope>`;

const SERVICE_CONTENT = envelope(
  `<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval>
    <rootFolder type="Folder">group-d1</rootFolder>
    <propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>
    <viewManager type="ViewManager">ViewManager</viewManager>
    <about><name>VMware vCenter Server</name><fullName>VMware vCenter Server 5.5.0</fullName><vendor>VMware, Inc.</vendor><version>5.5.0</version><build>1</build><osType>linux-x64</osType><productLineId>vpx</productLineId><apiType>VirtualCenter</apiType><apiVersion>5.5</apiVersion></about>
    <sessionManager type="SessionManager">SessionManager</sessionManager>
    <searchIndex type="SearchIndex">SearchIndex</searchIndex>
  </returnval></RetrieveServiceContentResponse>`,
);

async function connected(...answers: Parameters<typeof scripted>) {
  const s = scripted({ body: SERVICE_CONTENT, chunked: true }, ...answers);
  const client = new SoapClient(s.transport, {
    registry: vimTypes,
    propertyTypes: vimPropertyTypes,
  });
  client.serviceContent = await RetrieveServiceContent(client, {
    type: "ServiceInstance",
    value: "ServiceInstance",
  });
  return { client, requests: s.requests };
}

describe("generated method stubs", () => {
  it("RetrieveServiceContent: explicit _this, typed result decoded from a chunked stream", async () => {
    const { client, requests } = await connected();
    expect(requests[0]!.body).toContain(
      '<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>',
    );
    expect(requests[0]!.soapAction).toBe("urn:vim25/5.5");
    expect(client.serviceContent).toMatchObject({
      $type: "ServiceContent",
      rootFolder: { type: "Folder", value: "group-d1" },
      about: { apiType: "VirtualCenter", productLineId: "vpx" },
    });
  });

  it("Login: _this bound from ServiceContent.sessionManager; every string escaped, the password too", async () => {
    const session = `<LoginResponse xmlns="urn:vim25"><returnval><key>52a1</key><userName>root</userName><fullName>Root</fullName><loginTime>2024-01-01T00:00:00Z</loginTime><lastActiveTime>2024-01-01T00:00:00Z</lastActiveTime><locale>en</locale><messageLocale>en</messageLocale></returnval></LoginResponse>`;
    const { client, requests } = await connected({ body: envelope(session) });
    const user = await Login(client, { userName: "root<admin>", password: `p&ss<w>rd"'` });
    expect(requests[1]!.body).toContain(
      '<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><userName>root&lt;admin&gt;</userName><password>p&amp;ss&lt;w&gt;rd"\'</password></Login>',
    );
    expect(user.key).toBe("52a1");
    expect(user.loginTime).toEqual(new Date("2024-01-01T00:00:00Z"));
  });

  it("a bound _this before ServiceContent is retrieved, or absent from it, is a clear error", async () => {
    const client = new SoapClient(scripted().transport, { registry: vimTypes });
    await expect(Login(client, { userName: "u", password: "p" })).rejects.toThrow(
      new UnboundThisError(
        "Login binds _this to ServiceContent.sessionManager, but ServiceContent has not been retrieved",
      ),
    );
    const { client: c2 } = await connected();
    await expect(QueryPerfCounter(c2, { counterId: [1] })).rejects.toThrow(
      "QueryPerfCounter: this server's ServiceContent has no perfManager",
    );
  });

  it("options.target overrides a bound _this (a private property collector)", async () => {
    const { client, requests } = await connected({
      body: envelope(`<WaitForUpdatesExResponse xmlns="urn:vim25"></WaitForUpdatesExResponse>`),
    });
    const result = await WaitForUpdatesEx(
      client,
      { version: "", options: { maxWaitSeconds: 5 } },
      { target: { type: "PropertyCollector", value: "session[1]pc" } },
    );
    expect(result).toBeUndefined();
    expect(requests[1]!.body).toContain(
      '<_this type="PropertyCollector">session[1]pc</_this><version></version><options><maxWaitSeconds>5</maxWaitSeconds></options>',
    );
  });

  it("explicit _this: the caller passes the typed reference", async () => {
    const { client, requests } = await connected({
      body: envelope(
        `<PowerOnVM_TaskResponse xmlns="urn:vim25"><returnval type="Task">task-7</returnval></PowerOnVM_TaskResponse>`,
      ),
    });
    const task = await PowerOnVM_Task(client, { type: "VirtualMachine", value: "vm-42" });
    expect(task).toEqual({ type: "Task", value: "task-7" });
    expect(requests[1]!.body).toContain(
      '<PowerOnVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">vm-42</_this></PowerOnVM_Task>',
    );
  });

  describe("the return occurrence is enforced", () => {
    const uuidArgs = { uuid: "4213", vmSearch: true };
    it("o: absent → undefined, one → the value, two → error", async () => {
      const { client } = await connected(
        { body: envelope(`<FindByUuidResponse xmlns="urn:vim25"/>`) },
        {
          body: envelope(
            `<FindByUuidResponse xmlns="urn:vim25"><returnval type="VirtualMachine">vm-1</returnval></FindByUuidResponse>`,
          ),
        },
        {
          body: envelope(
            `<FindByUuidResponse xmlns="urn:vim25"><returnval type="VirtualMachine">vm-1</returnval><returnval type="VirtualMachine">vm-2</returnval></FindByUuidResponse>`,
          ),
        },
      );
      expect(await FindByUuid(client, uuidArgs)).toBeUndefined();
      expect(await FindByUuid(client, uuidArgs)).toEqual({ type: "VirtualMachine", value: "vm-1" });
      await expect(FindByUuid(client, uuidArgs)).rejects.toThrow(
        new DecodeError("expected at most one value, got 2", "FindByUuidResponse/returnval"),
      );
    });

    it("r: absent is an error", async () => {
      const { client } = await connected({
        body: envelope(`<CreateContainerViewResponse xmlns="urn:vim25"/>`),
      });
      await expect(
        CreateContainerView(client, {
          container: { type: "Folder", value: "group-d1" },
          type: ["VirtualMachine"],
          recursive: true,
        }),
      ).rejects.toThrow(
        "cannot decode CreateContainerViewResponse/returnval: expected exactly one value, got 0",
      );
    });

    it("ol: absent → empty list", async () => {
      const { client } = await connected({
        body: envelope(`<QueryPerfCounterResponse xmlns="urn:vim25"/>`),
      });
      client.serviceContent = {
        ...client.serviceContent,
        perfManager: { type: "PerformanceManager", value: "PerfMgr" },
      };
      expect(await QueryPerfCounter(client, { counterId: [1, 2] })).toEqual([]);
    });

    it("a method that returns nothing refuses a value", async () => {
      const { client } = await connected({
        body: envelope(
          `<LogoutResponse xmlns="urn:vim25"><returnval>x</returnval></LogoutResponse>`,
        ),
      });
      const { Logout } = await import("../index.js");
      await expect(Logout(client)).rejects.toThrow(
        "Logout returns nothing, but the response has a value",
      );
    });

    it("a response for another method is an error", async () => {
      const { client } = await connected({ body: envelope(`<LoginResponse xmlns="urn:vim25"/>`) });
      await expect(FindByUuid(client, uuidArgs)).rejects.toThrow(
        "expected <FindByUuidResponse> or a SOAP Fault, got <LoginResponse>",
      );
    });
  });

  describe("faults and HTTP statuses", () => {
    const fault = (detail: string) =>
      envelope(
        `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Cannot complete login due to an incorrect user name or password.</faultstring><detail>${detail}</detail></soapenv:Fault>`,
      );

    it("a 500 with a SOAP fault raises a typed error with the decoded fault", async () => {
      const { client } = await connected({
        status: 500,
        body: fault(
          `<InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault>`,
        ),
      });
      const error = await Login(client, { userName: "root", password: "wrong" }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(VimFaultError);
      const f = error as VimFaultError;
      expect([f.faultType, f.faultCode, f.faultString, f.method]).toEqual([
        "InvalidLogin",
        "ServerFaultCode",
        "Cannot complete login due to an incorrect user name or password.",
        "Login",
      ]);
      expect(f.fault).toEqual({ $type: "InvalidLogin" });
      expect(f.message).toBe(
        "Login: InvalidLogin: Cannot complete login due to an incorrect user name or password.",
      );
      expect(f.message).not.toContain("wrong");
    });

    it("decodes fault fields, with vcsim's XSI prefix and without xsi:type", async () => {
      const detail = `<ManagedObjectNotFoundFault xmlns="urn:vim25" xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type="ManagedObjectNotFound"><obj type="VirtualMachine">vm-9</obj></ManagedObjectNotFoundFault>`;
      const { client } = await connected(
        { status: 500, body: fault(detail) },
        { status: 500, body: fault(`<InvalidStateFault xmlns="urn:vim25"></InvalidStateFault>`) },
      );
      const e1 = (await PowerOnVM_Task(client, { type: "VirtualMachine", value: "vm-9" }).catch(
        (e: unknown) => e,
      )) as VimFaultError;
      expect(e1.faultType).toBe("ManagedObjectNotFound");
      expect(e1.fault).toEqual({
        $type: "ManagedObjectNotFound",
        obj: { type: "VirtualMachine", value: "vm-9" },
      });
      const e2 = (await PowerOnVM_Task(client, { type: "VirtualMachine", value: "vm-9" }).catch(
        (e: unknown) => e,
      )) as VimFaultError;
      expect(e2.faultType).toBe("InvalidState");
    });

    it("other statuses are typed errors", async () => {
      const { client } = await connected({ status: 503, body: "Service Unavailable" });
      const error = await PowerOnVM_Task(client, { type: "VirtualMachine", value: "vm-1" }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(HttpStatusError);
      expect((error as HttpStatusError).status).toBe(503);
    });
  });
});

describe("typed managed-object property retrieval", () => {
  it("retrieveVirtualMachine sends a PropertyFilterSpec and returns typed properties, following the token", async () => {
    const page1 =
      envelope(`<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>t1</token><objects><obj type="VirtualMachine">vm-42</obj>
      <propSet><name>name</name><val xsi:type="xsd:string">web 01</val></propSet>
      <propSet><name>runtime</name><val xsi:type="VirtualMachineRuntimeInfo"><connectionState>connected</connectionState><powerState>poweredOn</powerState><bootTime>2024-02-03T04:05:06Z</bootTime><toolsInstallerMounted>false</toolsInstallerMounted><maxMemoryUsage>4096</maxMemoryUsage><numMksConnections>0</numMksConnections></val></propSet>
    </objects></returnval></RetrievePropertiesExResponse>`);
    const page2 =
      envelope(`<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="VirtualMachine">vm-42</obj>
      <propSet><name>datastore</name><val xsi:type="ArrayOfManagedObjectReference"><ManagedObjectReference type="Datastore">ds-1</ManagedObjectReference></val></propSet>
    </objects></returnval></ContinueRetrievePropertiesExResponse>`);
    const { client, requests } = await connected({ body: page1 }, { body: page2 });
    const vm = await retrieveVirtualMachine(client, { type: "VirtualMachine", value: "vm-42" }, [
      "name",
      "runtime",
      "datastore",
    ]);
    expect(requests[1]!.body).toContain(
      '<specSet><propSet><type>VirtualMachine</type><all>false</all><pathSet>name</pathSet><pathSet>runtime</pathSet><pathSet>datastore</pathSet></propSet><objectSet><obj type="VirtualMachine">vm-42</obj><skip>false</skip></objectSet></specSet><options></options>',
    );
    expect(requests[2]!.body).toContain("<token>t1</token>");
    expect(vm.name).toBe("web 01");
    expect(vm.runtime.powerState).toBe("poweredOn");
    expect(vm.runtime.bootTime).toEqual(new Date("2024-02-03T04:05:06Z"));
    expect(vm.datastore).toEqual([{ type: "Datastore", value: "ds-1" }]);
  });
});
