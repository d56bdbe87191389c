// A front end's first session, through a client generated from the live /openapi.json (openapi-typescript types,
// openapi-fetch calls): list case types, open a case, find my task, read its form, then complete it with If-Match,
// meeting a 412 (stale If-Match) and a 422 (bad answers) on the way, each handled as a typed Problem.
// Compiled with tsc --strict; any surprise exits non-zero. Usage: node build/ts/scenario.js BASE_URL TOKEN
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Problem = components["schemas"]["Problem"];

const [baseUrl, token] = process.argv.slice(2);
if (!baseUrl || !token) throw new Error("usage: scenario.js BASE_URL TOKEN");
const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`unexpected: ${what}`);
}

function expectProblem(problem: Problem | undefined, status: number, slug: string): Problem {
  check(problem !== undefined, `a ${status} problem body`);
  check(problem.status === status, `status ${status}, got ${problem.status}: ${problem.detail}`);
  check(problem.type.endsWith(`/problems/${slug}`), `problem type ${slug}, got ${problem.type}`);
  check(problem.correlation_id.length > 0, "a correlation id");
  return problem;
}

const types = await api.GET("/api/v1/case-types");
check(types.data !== undefined, `case types: ${types.response.status}`);
const cspr = types.data.items.find((t) => t.key === "cspr");
check(cspr !== undefined, "the cspr case type");
check(Array.isArray(cspr.start_form_schema["required"]), "a start form schema with required fields");

const opened = await api.POST("/api/v1/cases", {
  body: {
    case_type: cspr.key,
    title: "Generated client check",
    subject_pseudonym: "Child T",
    involved_agencies: ["police"],
    data: { aware_at: "2026-11-02", incident_type: "serious_harm" },
  },
});
check(opened.data !== undefined, `open a case: ${opened.response.status} ${JSON.stringify(opened.error)}`);
check(opened.response.status === 201, `201 Created, got ${opened.response.status}`);
const caseId = opened.data.id;

const mine = await api.GET("/api/v1/tasks", { params: { query: { case_id: caseId, state: "open" } } });
check(mine.data !== undefined, `my tasks: ${mine.response.status}`);
const notify = mine.data.items.find((t) => t.element_id === "Task_NotifyPanel");
check(notify !== undefined, `the notification task among ${mine.data.items.map((t) => t.element_id).join(", ")}`);

const read = await api.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: notify.id } } });
check(read.data !== undefined, `read the task: ${read.response.status}`);
const firstEtag = read.response.headers.get("ETag");
check(
  firstEtag?.startsWith(`"${read.data.version}-`) === true,
  `the ETag starts with the version, got ${firstEtag}`,
);
check(read.data.form_schema["properties"] !== undefined, "a form schema with properties");

const claimed = await api.POST("/api/v1/tasks/{task_id}/claim", {
  params: { path: { task_id: notify.id }, header: { "if-match": firstEtag } },
});
check(claimed.data !== undefined, `claim: ${claimed.response.status}`);
const etag = claimed.response.headers.get("ETag");
check(etag !== null && etag !== firstEtag, "claiming gives a new ETag");

const stale = await api.POST("/api/v1/tasks/{task_id}/complete", {
  params: { path: { task_id: notify.id }, header: { "if-match": firstEtag } },
  body: { data: { notified_at: "2026-11-03" } },
});
check(stale.data === undefined, "a stale If-Match must not complete the task");
expectProblem(stale.error, 412, "precondition-failed");

const bad = await api.POST("/api/v1/tasks/{task_id}/complete", {
  params: { path: { task_id: notify.id }, header: { "if-match": etag } },
  body: { data: { notified_at: "not a date" } },
});
check(bad.data === undefined, "bad answers must not complete the task");
const invalid = expectProblem(bad.error, 422, "invalid-input");
const fields = (invalid.errors ?? []).map((e) => e.field);
check(fields.some((f) => f.includes("notified_at")), `errors[] names notified_at, got ${fields.join(", ")}`);

const done = await api.POST("/api/v1/tasks/{task_id}/complete", {
  params: { path: { task_id: notify.id }, header: { "if-match": etag } },
  body: { data: { notified_at: "2026-11-03", child_looked_after: false } },
});
check(done.data !== undefined, `complete: ${done.response.status} ${JSON.stringify(done.error)}`);
check(done.data.state === "completed", `completed, got ${done.data.state}`);

const after = await api.GET("/api/v1/cases/{case_id}", { params: { path: { case_id: caseId } } });
check(after.data !== undefined && after.data.id === caseId, "read the case back");
console.log(`typescript scenario: case ${after.data.reference} opened, task completed, 412 and 422 handled`);
