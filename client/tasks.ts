/**
 * Tasks and VM questions, with libvirt's auto_answer semantics (its ESX driver README):
 *
 * - Before a VM task starts (`prepareForTask`): a pending question is answered with its
 *   default choice (auto-answer on) or reported (off); either way, if a task of that VM
 *   is still queued or running the call fails without starting another.
 * - While waiting (`waitForTask`): a question is answered with the default (on) or
 *   reported and the task cancelled if it is cancelable (off); a blocked task that
 *   cannot be cancelled is reported as such.
 *
 * Waiting uses WaitForUpdatesEx with maxWaitSeconds on a private property collector
 * (never the shared one) whose filter watches the task's `info` and the VM's
 * `runtime.question`, so a question raised mid-task is seen within one wait round.
 */
import {
  AnswerVM,
  CancelTask,
  CreateFilter,
  CreatePropertyCollector,
  DestroyPropertyCollector,
  WaitForUpdatesEx,
  type LocalizedMethodFault,
  type TaskInfo,
  type UpdateSet,
  type VirtualMachineQuestionInfo,
} from "../generated/index.js";
import type { ManagedObjectReference } from "../runtime/codec/types.js";
import { EsxViError, RequestAbortedError, RequestTimeoutError } from "../runtime/errors.js";
import { VimFaultError } from "../runtime/soap/envelope.js";
import type { VimInvoker } from "../runtime/soap/client.js";
import { readProperties } from "./properties.js";

type VmRef = ManagedObjectReference<"VirtualMachine">;
type TaskRef = ManagedObjectReference<"Task">;

/** A task ended in error: the fault it carried, typed. */
export class TaskFailedError extends EsxViError {
  constructor(
    readonly task: TaskRef,
    /** The fault's type name (`FileNotFound`, `InvalidPowerState`, …). */
    readonly faultType: string,
    readonly fault: Record<string, unknown> | undefined,
    readonly localizedMessage: string | undefined,
  ) {
    super(
      `task ${task.value} failed: ${faultType}${localizedMessage ? ` - ${localizedMessage}` : ""}`,
    );
  }
}

/** A VM question that was not (or could not be) answered. */
export class VmQuestionError extends EsxViError {
  constructor(
    readonly vm: VmRef,
    readonly question: VirtualMachineQuestionInfo,
    readonly choices: string[],
    /** A task is blocked by it. */
    readonly blocked: boolean,
    message: string,
  ) {
    super(message);
  }
}

/** Another task of the VM is queued or running, so a new one is not started. */
export class TasksPendingError extends EsxViError {
  constructor(
    readonly vm: VmRef,
    readonly pending: TaskInfo[],
  ) {
    super(
      `VM ${vm.value} has other tasks pending (${pending.map((t) => `${t.name ?? t.descriptionId} ${t.state}`).join(", ")}); not starting another`,
    );
  }
}

/** A task did not finish within the wait's timeout (it is left running). */
export class TaskTimeoutError extends RequestTimeoutError {
  constructor(
    readonly task: TaskRef,
    timeoutMs: number,
    readonly lastInfo: TaskInfo | undefined,
  ) {
    super(`waiting for task ${task.value}`, timeoutMs);
  }
}

export function questionChoices(q: VirtualMachineQuestionInfo): string[] {
  return (q.choice.choiceInfo ?? []).map((c) => c.label);
}

/**
 * Answer `question` with its default (autoAnswer) or report it. Returns when answered;
 * throws VmQuestionError otherwise. `blocked` says whether a task is waiting on it.
 */
export async function handleQuestion(
  client: VimInvoker,
  vm: VmRef,
  question: VirtualMachineQuestionInfo,
  autoAnswer: boolean,
  blocked = true,
): Promise<void> {
  const choices = questionChoices(question);
  const quoted = choices.map((c) => `'${c}'`).join(", ");
  if (!autoAnswer) {
    throw new VmQuestionError(
      vm,
      question,
      choices,
      blocked,
      `VM ${vm.value} has a pending question: '${question.text}'; possible answers: ${quoted || "(none)"}`,
    );
  }
  if (choices.length === 0) {
    throw new VmQuestionError(
      vm,
      question,
      choices,
      blocked,
      `VM ${vm.value} has a pending question with no possible answers: '${question.text}'`,
    );
  }
  const index = question.choice.defaultIndex;
  const answer = index === undefined ? undefined : question.choice.choiceInfo[index];
  if (!answer) {
    throw new VmQuestionError(
      vm,
      question,
      choices,
      blocked,
      `VM ${vm.value} has a pending question without a default answer: '${question.text}'; possible answers: ${quoted}`,
    );
  }
  await AnswerVM(client, vm, { questionId: question.id, answerChoice: answer.key });
}

async function readTaskInfo(client: VimInvoker, task: TaskRef): Promise<TaskInfo | undefined> {
  return (await readProperties<{ info?: TaskInfo }>(client, task, ["info"])).info;
}

/**
 * libvirt's pre-task check: handle a pending question, then refuse to start while
 * another task of the VM is queued or running (even right after an automatic answer:
 * the task that question blocked is usually still pending).
 */
export async function prepareForTask(
  client: VimInvoker,
  vm: VmRef,
  autoAnswer: boolean,
): Promise<void> {
  const props = await readProperties<{
    "runtime.question"?: VirtualMachineQuestionInfo;
    recentTask?: TaskRef[];
  }>(client, vm, ["runtime.question", "recentTask"]);
  const question = props["runtime.question"];
  if (question) await handleQuestion(client, vm, question, autoAnswer);
  const pending: TaskInfo[] = [];
  for (const t of props.recentTask ?? []) {
    const info = await readTaskInfo(client, t);
    if (info && (info.state === "queued" || info.state === "running")) pending.push(info);
  }
  if (pending.length > 0) throw new TasksPendingError(vm, pending);
}

export interface TaskWaitOptions {
  /** The VM the task acts on: its questions are watched and handled. */
  vm?: VmRef;
  /** Answer questions with their default (default: off). */
  autoAnswer?: boolean;
  /** Called with the progress percentage whenever it changes. */
  onProgress?: (percent: number, info: TaskInfo) => void;
  /** Give up waiting after this many ms (the task keeps running). */
  timeout?: number;
  /** Aborting cancels the task (CancelTask) and rejects with RequestAbortedError. */
  signal?: AbortSignal;
  /** Seconds one WaitForUpdatesEx round may block (default 5). */
  roundSeconds?: number;
}

function faultOf(error: LocalizedMethodFault | undefined): {
  type: string;
  fault?: Record<string, unknown>;
  message?: string;
} {
  if (!error) return { type: "Unknown error" };
  const fault = error.fault as unknown as Record<string, unknown> | undefined;
  return {
    type: (fault?.$type as string | undefined) ?? "MethodFault",
    fault,
    message: error.localizedMessage,
  };
}

const VM_GONE = Symbol("vm gone");

/** Wait for `task` to finish; returns its final TaskInfo (with `result`) or throws TaskFailedError. */
export async function waitForTask(
  client: VimInvoker,
  task: TaskRef,
  options: TaskWaitOptions = {},
): Promise<TaskInfo> {
  const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout;
  const collector = await CreatePropertyCollector(client);
  const target = { target: collector };
  let info: TaskInfo | undefined;
  let question: VirtualMachineQuestionInfo | undefined;
  let lastProgress: number | undefined;
  try {
    const propSet = [{ type: "Task", all: false, pathSet: ["info"] }];
    const objectSet: { obj: ManagedObjectReference; skip: boolean }[] = [
      { obj: task, skip: false },
    ];
    if (options.vm) {
      propSet.push({ type: "VirtualMachine", all: false, pathSet: ["runtime.question"] });
      objectSet.push({ obj: options.vm, skip: false });
    }
    await CreateFilter(client, { spec: { propSet, objectSet }, partialUpdates: false }, target);
    let version = "";
    for (;;) {
      if (options.signal?.aborted) {
        if (info?.cancelable !== false) await CancelTask(client, task).catch(() => undefined);
        throw new RequestAbortedError(`waiting for task ${task.value}`, {
          cause: options.signal.reason,
        });
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new TaskTimeoutError(task, options.timeout!, info);
      const round = Math.max(1, Math.min(options.roundSeconds ?? 5, Math.ceil(left / 1000)));
      const updates: UpdateSet | undefined | typeof VM_GONE = await WaitForUpdatesEx(
        client,
        { version, options: { maxWaitSeconds: round } },
        // The round's request may not outlive the overall deadline.
        { ...target, signal: options.signal, timeout: Math.min(left, round * 1000 + 60_000) },
      ).catch((e: unknown) => {
        if (options.signal?.aborted) return undefined; // handled at the top of the loop
        if (e instanceof RequestTimeoutError && Date.now() >= deadline - 5)
          throw new TaskTimeoutError(task, options.timeout!, info);
        if (options.vm && e instanceof VimFaultError && e.faultType === "ManagedObjectNotFound")
          return VM_GONE;
        throw e;
      });
      if (updates === VM_GONE) {
        // The watched VM went away (a destroy task, say): go on watching the task alone.
        const remaining = deadline === Infinity ? undefined : Math.max(1, deadline - Date.now());
        return await waitForTask(client, task, { ...options, vm: undefined, timeout: remaining });
      }
      if (updates) {
        version = updates.version;
        for (const f of updates.filterSet ?? []) {
          for (const o of f.objectSet ?? []) {
            for (const change of o.changeSet ?? []) {
              const value =
                change.op === "remove" || change.op === "indirectRemove" ? undefined : change.val;
              if (o.obj.type === "Task" && change.name === "info") info = value as TaskInfo;
              else if (o.obj.type === "VirtualMachine" && change.name === "runtime.question")
                question = value as VirtualMachineQuestionInfo | undefined;
            }
          }
        }
      }
      if (info?.progress !== undefined && info.progress !== lastProgress) {
        lastProgress = info.progress;
        options.onProgress?.(info.progress, info);
      }
      if (info?.state === "success") return info;
      if (info?.state === "error") {
        const f = faultOf(info.error);
        throw new TaskFailedError(task, f.type, f.fault, f.message);
      }
      if (question && options.vm) {
        const q = question;
        question = undefined;
        try {
          await handleQuestion(client, options.vm, q, options.autoAnswer ?? false);
        } catch (e) {
          if (!(e instanceof VmQuestionError)) throw e;
          const current = (await readTaskInfo(client, task)) ?? info;
          if (current?.cancelable) {
            await CancelTask(client, task).catch(() => undefined);
            throw new VmQuestionError(
              e.vm,
              e.question,
              e.choices,
              true,
              `${e.message}; task ${task.value} was cancelled`,
            );
          }
          throw new VmQuestionError(
            e.vm,
            e.question,
            e.choices,
            true,
            `${e.message}; task ${task.value} cannot be cancelled and stays blocked`,
          );
        }
      }
    }
  } finally {
    await DestroyPropertyCollector(client, target).catch(() => undefined);
  }
}

/** Prepare (questions, pending tasks), start the task, wait for it. */
export async function runVmTask(
  client: VimInvoker & { autoAnswer?: boolean },
  vm: VmRef,
  start: () => Promise<TaskRef>,
  options: Omit<TaskWaitOptions, "vm"> = {},
): Promise<TaskInfo> {
  const autoAnswer = options.autoAnswer ?? client.autoAnswer ?? false;
  await prepareForTask(client, vm, autoAnswer);
  const task = await start();
  return waitForTask(client, task, { ...options, vm, autoAnswer });
}
