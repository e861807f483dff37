/**
 * libvirt's question semantics (its ESX README; reference §2.9), every branch, against
 * the scripted fake server: before a task starts, and while waiting for it.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  RequestAbortedError,
  TaskFailedError,
  TaskTimeoutError,
  TasksPendingError,
  VimConnection,
  VmQuestionError,
  powerOn,
  type VmRef,
} from "../index.js";
import { startFakeVim, type FakeVim, type Question } from "./support/fake-vim.js";

const vm: VmRef = { type: "VirtualMachine", value: "vm-1" };
const QUESTION: Question = {
  id: "q1",
  text: "The serial port file exists. Replace or append?",
  choices: [
    { key: "0", label: "Replace" },
    { key: "1", label: "Append" },
    { key: "2", label: "Cancel" },
  ],
  defaultIndex: 1,
};

let fake: FakeVim;
let conn: VimConnection;

async function connect(autoAnswer: boolean) {
  conn = await VimConnection.connect(fake.url, { username: "root", password: "pw", autoAnswer });
}

const started = () => fake.calls.filter((c) => c.method === "PowerOnVM_Task").length;

beforeEach(async () => {
  fake = await startFakeVim();
});
afterEach(async () => {
  await conn?.close();
  await fake.close();
});

describe("before a task starts", () => {
  it("auto-answer off: a pending question is reported with its answers; no task starts", async () => {
    await connect(false);
    fake.world.question = QUESTION;
    const error = (await powerOn(conn, vm).catch((e: unknown) => e)) as VmQuestionError;
    expect(error).toBeInstanceOf(VmQuestionError);
    expect(error.message).toBe(
      "VM vm-1 has a pending question: 'The serial port file exists. Replace or append?'; possible answers: 'Replace', 'Append', 'Cancel'",
    );
    expect(error.choices).toEqual(["Replace", "Append", "Cancel"]);
    expect(fake.world.answers).toEqual([]);
    expect(started()).toBe(0);
  });

  it("auto-answer on: the question is answered with the default, and the blocked task still pending stops the new one", async () => {
    await connect(true);
    fake.world.question = QUESTION;
    fake.world.startTask(); // the task the question blocks, still running
    const error = await powerOn(conn, vm).catch((e: unknown) => e);
    expect(fake.world.answers).toEqual([{ questionId: "q1", choice: "1" }]);
    expect(error).toBeInstanceOf(TasksPendingError);
    expect((error as Error).message).toBe(
      "VM vm-1 has other tasks pending (PowerOnVM_Task running); not starting another",
    );
    expect(started()).toBe(0);
  });

  it("auto-answer on: answered, nothing pending: the task starts and completes", async () => {
    await connect(true);
    fake.world.question = QUESTION;
    const info = await powerOn(conn, vm);
    expect(fake.world.answers).toEqual([{ questionId: "q1", choice: "1" }]);
    expect(info.state).toBe("success");
    expect(started()).toBe(1);
  });

  it("auto-answer on: a question without answers is an error (blocked)", async () => {
    await connect(true);
    fake.world.question = { ...QUESTION, choices: [], defaultIndex: undefined };
    const error = (await powerOn(conn, vm).catch((e: unknown) => e)) as VmQuestionError;
    expect(error).toBeInstanceOf(VmQuestionError);
    expect(error.message).toBe(
      "VM vm-1 has a pending question with no possible answers: 'The serial port file exists. Replace or append?'",
    );
    expect(error.blocked).toBe(true);
    expect(fake.world.answers).toEqual([]);
    expect(started()).toBe(0);
  });

  it("auto-answer on: a question without a default is an error listing the answers", async () => {
    await connect(true);
    fake.world.question = { ...QUESTION, defaultIndex: undefined };
    const error = (await powerOn(conn, vm).catch((e: unknown) => e)) as VmQuestionError;
    expect(error.message).toBe(
      "VM vm-1 has a pending question without a default answer: 'The serial port file exists. Replace or append?'; possible answers: 'Replace', 'Append', 'Cancel'",
    );
    expect(fake.world.answers).toEqual([]);
  });

  it("no question, but a queued task: the call fails without starting another", async () => {
    await connect(false);
    fake.world.startTask().state = "queued";
    await expect(powerOn(conn, vm)).rejects.toThrow(TasksPendingError);
    expect(started()).toBe(0);
  });

  it("finished tasks do not block", async () => {
    await connect(false);
    fake.world.startTask().state = "success";
    await expect(powerOn(conn, vm)).resolves.toMatchObject({ state: "success" });
  });
});

describe("while waiting", () => {
  it("a question raised mid-task is noticed within one wait round and answered (auto-answer on)", async () => {
    await connect(true);
    fake.world.onTaskStart = (t) => {
      t.state = "running";
    };
    fake.world.onWait = (round, w) => {
      const t = [...w.tasks.values()].pop()!;
      if (round === 1) t.progress = 10;
      if (round === 2) w.question = QUESTION; // appears while the task runs
      if (round === 3) {
        expect(w.answers).toEqual([{ questionId: "q1", choice: "1" }]); // answered after round 2
        t.progress = 100;
        t.state = "success";
      }
    };
    const progress: number[] = [];
    const info = await powerOn(conn, vm, { onProgress: (p) => progress.push(p) });
    expect(info.state).toBe("success");
    expect(fake.world.waitRounds).toBe(3);
    expect(progress).toEqual([10, 100]);
    // Every wait is a WaitForUpdatesEx with maxWaitSeconds on the private collector.
    const waits = fake.calls.filter((c) => c.method === "WaitForUpdatesEx");
    expect(
      waits.every(
        (c) =>
          c.body.includes('<_this type="PropertyCollector">session[1]pc</_this>') &&
          c.body.includes("<maxWaitSeconds>"),
      ),
    ).toBe(true);
    expect(fake.calls.some((c) => c.method === "DestroyPropertyCollector")).toBe(true);
  });

  it("auto-answer off: the question is reported and a cancelable task cancelled", async () => {
    await connect(false);
    fake.world.onTaskStart = (t) => {
      t.state = "running";
    };
    fake.world.onWait = (round, w) => {
      if (round === 1) w.question = QUESTION;
    };
    const error = (await powerOn(conn, vm).catch((e: unknown) => e)) as VmQuestionError;
    expect(error).toBeInstanceOf(VmQuestionError);
    expect(error.message).toMatch(
      /possible answers: 'Replace', 'Append', 'Cancel'; task task-1 was cancelled$/,
    );
    expect(fake.world.cancelled).toEqual(["task-1"]);
    expect(fake.world.answers).toEqual([]);
  });

  it("auto-answer off: a non-cancelable blocked task is reported as such and left alone", async () => {
    await connect(false);
    fake.world.onTaskStart = (t) => {
      t.state = "running";
      t.cancelable = false;
    };
    fake.world.onWait = (round, w) => {
      if (round === 1) w.question = QUESTION;
    };
    const error = (await powerOn(conn, vm).catch((e: unknown) => e)) as VmQuestionError;
    expect(error.message).toMatch(/task task-1 cannot be cancelled and stays blocked$/);
    expect(fake.world.cancelled).toEqual([]);
  });

  it("a task error is a typed fault with its localized message", async () => {
    await connect(false);
    fake.world.onTaskStart = (t) => {
      t.state = "error";
      t.error = {
        type: "InvalidPowerState",
        message: "The attempted operation cannot be performed in the current state (Powered on).",
        fields: "<existingState>poweredOn</existingState>",
      };
    };
    const error = (await powerOn(conn, vm).catch((e: unknown) => e)) as TaskFailedError;
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error.faultType).toBe("InvalidPowerState");
    expect(error.fault).toEqual({ $type: "InvalidPowerState", existingState: "poweredOn" });
    expect(error.message).toBe(
      "task task-1 failed: InvalidPowerState - The attempted operation cannot be performed in the current state (Powered on).",
    );
  });

  it("an overall timeout gives up waiting (the task keeps running)", async () => {
    await connect(false);
    fake.world.onTaskStart = (t) => {
      t.state = "running";
    };
    fake.handle((call) =>
      call.method === "WaitForUpdatesEx" ? { body: "", status: 200, delayMs: 5000 } : undefined,
    );
    const error = await powerOn(conn, vm, { timeout: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect(fake.world.cancelled).toEqual([]);
  });

  it("an AbortSignal cancels the task", async () => {
    await connect(false);
    fake.world.onTaskStart = (t) => {
      t.state = "running";
    };
    fake.handle((call) => (call.method === "WaitForUpdatesEx" ? "hang" : undefined));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const error = await powerOn(conn, vm, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestAbortedError);
    expect(fake.world.cancelled).toEqual(["task-1"]);
  });
});
