/**
 * A scripted SOAP server on loopback (plain HTTP) for what vcsim cannot produce: VM
 * questions, faults on demand, odd statuses, resets, slow answers, malformed XML,
 * paging tokens. It answers enough of the API for a connection and a VM task, and lets
 * each test override any method.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const envelope = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ` +
  `xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${inner}</soapenv:Body></soapenv:Envelope>`;

export const response = (method: string, inner = "") =>
  envelope(`<${method}Response xmlns="urn:vim25">${inner}</${method}Response>`);

export const fault = (type: string, message: string, fields = "") =>
  envelope(
    `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${message}</faultstring>` +
      `<detail><${type}Fault xmlns="urn:vim25" xsi:type="${type}">${fields}</${type}Fault></detail></soapenv:Fault>`,
  );

export type Answer =
  | { status?: number; body: string | Buffer; delayMs?: number; headers?: Record<string, string> }
  | "reset"
  | "hang";

export interface Call {
  method: string;
  body: string;
  cookie: string | undefined;
  soapAction?: string;
}

export type Handler = (call: Call, world: VmWorld) => Answer | undefined;

export interface Question {
  id: string;
  text: string;
  choices: { key: string; label: string }[];
  defaultIndex?: number;
}

export interface FakeTask {
  id: string;
  state: "queued" | "running" | "success" | "error";
  cancelable: boolean;
  progress?: number;
  error?: { type: string; message: string; fields?: string };
  cancelled: boolean;
}

/** The state the default handlers serve: one VM with questions and tasks. */
export class VmWorld {
  question: Question | undefined;
  tasks = new Map<string, FakeTask>();
  recentTasks: string[] = [];
  answers: { questionId: string; choice: string }[] = [];
  cancelled: string[] = [];
  powerState = "poweredOff";
  private nextTask = 1;
  /** Called before each WaitForUpdatesEx answer with the round number (1-based). */
  onWait: (round: number, world: VmWorld) => void = () => undefined;
  /** Called when a task starts. */
  onTaskStart: (task: FakeTask, world: VmWorld) => void = (t) => {
    t.state = "success";
  };
  waitRounds = 0;

  startTask(cancelable = true): FakeTask {
    const task: FakeTask = {
      id: `task-${this.nextTask++}`,
      state: "running",
      cancelable,
      cancelled: false,
    };
    this.tasks.set(task.id, task);
    this.recentTasks.push(task.id);
    return task;
  }
}

function questionXml(q: Question): string {
  return (
    `<id>${q.id}</id><text>${q.text}</text><choice>` +
    q.choices
      .map(
        (c) =>
          `<choiceInfo><label>${c.label}</label><summary>${c.label}</summary><key>${c.key}</key></choiceInfo>`,
      )
      .join("") +
    (q.defaultIndex === undefined ? "" : `<defaultIndex>${q.defaultIndex}</defaultIndex>`) +
    `</choice>`
  );
}

function taskInfoXml(t: FakeTask): string {
  return (
    `<key>${t.id}</key><task type="Task">${t.id}</task><name>PowerOnVM_Task</name><descriptionId>VirtualMachine.powerOn</descriptionId>` +
    `<entity type="VirtualMachine">vm-1</entity><state>${t.state}</state><cancelled>${t.cancelled}</cancelled><cancelable>${t.cancelable}</cancelable>` +
    (t.error
      ? `<error><fault xsi:type="${t.error.type}">${t.error.fields ?? ""}</fault><localizedMessage>${t.error.message}</localizedMessage></error>`
      : "") +
    (t.progress === undefined ? "" : `<progress>${t.progress}</progress>`) +
    `<reason xsi:type="TaskReasonUser"><userName>root</userName></reason><queueTime>2024-01-01T00:00:00Z</queueTime><eventChainId>1</eventChainId>`
  );
}

const SERVICE_CONTENT = (product: "esx" | "vpx") =>
  `<returnval><rootFolder type="Folder">ha-folder-root</rootFolder><propertyCollector type="PropertyCollector">ha-property-collector</propertyCollector>` +
  `<viewManager type="ViewManager">ViewManager</viewManager><about><name>VMware ESXi</name><fullName>Fake 5.5</fullName><vendor>VMware, Inc.</vendor>` +
  `<version>5.5.0</version><build>1</build><osType>vmnix-x86</osType><productLineId>${product === "esx" ? "embeddedEsx" : "vpx"}</productLineId>` +
  `<apiType>${product === "esx" ? "HostAgent" : "VirtualCenter"}</apiType><apiVersion>5.5</apiVersion></about>` +
  `<sessionManager type="SessionManager">ha-sessionmgr</sessionManager><searchIndex type="SearchIndex">ha-searchindex</searchIndex></returnval>`;

/** Default answers: enough for connect, login, VM property reads and a VM task. */
function defaults(call: Call, world: VmWorld): Answer {
  const { method, body } = call;
  switch (method) {
    case "RetrieveServiceContent":
      return { body: response(method, SERVICE_CONTENT("esx")) };
    case "Login":
      return {
        body: response(
          method,
          `<returnval><key>s1</key><userName>root</userName><fullName>root</fullName><loginTime>2024-01-01T00:00:00Z</loginTime>` +
            `<lastActiveTime>2024-01-01T00:00:00Z</lastActiveTime><locale>en</locale><messageLocale>en</messageLocale></returnval>`,
        ),
        headers: { "Set-Cookie": 'vmware_soap_session="abc123"; Path=/; HttpOnly' },
      };
    case "Logout":
    case "DestroyPropertyCollector":
    case "CancelRetrievePropertiesEx":
      return { body: response(method) };
    case "AnswerVM": {
      const questionId = /<questionId>(.*?)<\/questionId>/.exec(body)?.[1] ?? "";
      const choice = /<answerChoice>(.*?)<\/answerChoice>/.exec(body)?.[1] ?? "";
      world.answers.push({ questionId, choice });
      world.question = undefined;
      return { body: response(method) };
    }
    case "CancelTask": {
      const id = /<_this type="Task">(.*?)<\/_this>/.exec(body)?.[1] ?? "";
      world.cancelled.push(id);
      const t = world.tasks.get(id);
      if (t) {
        t.cancelled = true;
        t.state = "error";
        t.error = { type: "RequestCanceled", message: "The task was canceled by a user." };
      }
      return { body: response(method) };
    }
    case "PowerOnVM_Task": {
      const t = world.startTask();
      world.onTaskStart(t, world);
      return { body: response(method, `<returnval type="Task">${t.id}</returnval>`) };
    }
    case "CreatePropertyCollector":
      return {
        body: response(method, `<returnval type="PropertyCollector">session[1]pc</returnval>`),
      };
    case "CreateFilter":
      return {
        body: response(method, `<returnval type="PropertyFilter">session[1]filter</returnval>`),
      };
    case "WaitForUpdatesEx": {
      world.waitRounds++;
      world.onWait(world.waitRounds, world);
      const taskId = [...world.tasks.keys()].pop()!;
      const t = world.tasks.get(taskId)!;
      const q = world.question;
      return {
        body: response(
          method,
          `<returnval><version>${world.waitRounds}</version><filterSet><filter type="PropertyFilter">session[1]filter</filter>` +
            `<objectSet><kind>modify</kind><obj type="Task">${t.id}</obj><changeSet><name>info</name><op>assign</op><val xsi:type="TaskInfo">${taskInfoXml(t)}</val></changeSet></objectSet>` +
            `<objectSet><kind>modify</kind><obj type="VirtualMachine">vm-1</obj><changeSet><name>runtime.question</name>` +
            (q
              ? `<op>assign</op><val xsi:type="VirtualMachineQuestionInfo">${questionXml(q)}</val>`
              : `<op>assign</op>`) +
            `</changeSet></objectSet></filterSet></returnval>`,
        ),
      };
    }
    case "RetrievePropertiesEx": {
      const obj = /<obj type="(\w+)">(.*?)<\/obj>/.exec(body);
      if (obj?.[1] === "VirtualMachine") {
        const q = world.question;
        return {
          body: response(
            method,
            `<returnval><objects><obj type="VirtualMachine">vm-1</obj>` +
              (q
                ? `<propSet><name>runtime.question</name><val xsi:type="VirtualMachineQuestionInfo">${questionXml(q)}</val></propSet>`
                : "") +
              `<propSet><name>recentTask</name><val xsi:type="ArrayOfManagedObjectReference">` +
              world.recentTasks
                .map((id) => `<ManagedObjectReference type="Task">${id}</ManagedObjectReference>`)
                .join("") +
              `</val></propSet><propSet><name>runtime.powerState</name><val xsi:type="VirtualMachinePowerState">${world.powerState}</val></propSet>` +
              `</objects></returnval>`,
          ),
        };
      }
      if (obj?.[1] === "Task") {
        const t = world.tasks.get(obj[2]!)!;
        return {
          body: response(
            method,
            `<returnval><objects><obj type="Task">${t.id}</obj><propSet><name>info</name><val xsi:type="TaskInfo">${taskInfoXml(t)}</val></propSet></objects></returnval>`,
          ),
        };
      }
      return { body: response(method) };
    }
    default:
      return {
        status: 500,
        body: fault("NotImplemented", `fake server: ${method} is not scripted`),
      };
  }
}

export interface FakeVim {
  url: string;
  world: VmWorld;
  calls: Call[];
  /** Replace the handler (undefined answers fall back to the defaults). */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export async function startFakeVim(): Promise<FakeVim> {
  const world = new VmWorld();
  const calls: Call[] = [];
  let custom: Handler = () => undefined;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const method = /<soapenv:Body><(\w+)/.exec(body)?.[1] ?? `${req.method} ${req.url}`;
      const call = {
        method,
        body,
        cookie: req.headers.cookie,
        soapAction: req.headers.soapaction as string | undefined,
      };
      calls.push(call);
      const answer = custom(call, world) ?? defaults(call, world);
      if (answer === "reset") {
        req.socket.destroy();
        return;
      }
      if (answer === "hang") return; // never answers; the client's timeout must fire
      const send = () => {
        res.writeHead(answer.status ?? 200, {
          "Content-Type": "text/xml; charset=utf-8",
          ...answer.headers,
        });
        res.end(answer.body);
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sdk`,
    world,
    calls,
    handle: (h) => (custom = h),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
