// Sensitivity reports and plans in the store: a report is one row per (tensor, candidate type) in
// tensor_stats plus its run-level fields in sensitivity_reports, and reads back as the same
// SensitivityReport; plans are kept whole as JSON with their headline figures in columns.
import type { PlanFile, SensitivityReport, TensorSensitivity } from '../../contract/sensitivity.js';
import type { Store } from './store.js';

export function saveSensitivityReport(store: Store, runId: number, report: SensitivityReport): void {
  for (const t of report.tensors) if (!t.candidates.length) throw new Error(`sensitivity report: tensor ${t.name} has no candidate type`);
  store.db.transaction(() => {
    store.db
      .prepare('INSERT OR REPLACE INTO sensitivity_reports (run_id, model, calibration, method, fixed_bytes, header_bytes) VALUES (?, ?, ?, ?, ?, ?)')
      .run(runId, JSON.stringify(report.model), JSON.stringify(report.calibration), report.method, report.fixedBytes, report.headerBytes ?? null);
    store.addTensorStats(
      runId,
      report.tensors.flatMap((t) =>
        t.candidates.map((c) => ({
          tensor: t.name,
          layer: t.layer,
          kind: t.kind,
          type: c.type,
          bytes: c.bytes,
          error: c.error,
          activations: t.activations,
          metrics: {
            ne: t.ne,
            ...(t.expert !== undefined ? { expert: t.expert } : {}),
            ...(t.expertActivations ? { expertActivations: t.expertActivations } : {}),
            ...(c.outputError !== undefined ? { outputError: c.outputError } : {}),
            ...(c.kl !== undefined ? { kl: c.kl } : {}),
          },
        })),
      ),
    );
  })();
}

export function loadSensitivityReport(store: Store, runId: number): SensitivityReport {
  const head = store.db.prepare('SELECT * FROM sensitivity_reports WHERE run_id = ?').get(runId) as Record<string, unknown> | undefined;
  if (!head) throw new Error(`run ${runId} has no sensitivity report${store.run(runId) ? ` (it is a ${store.run(runId)!.kind} run)` : ' (no such run)'}`);
  const tensors = new Map<string, TensorSensitivity>();
  for (const s of store.tensorStats(runId)) {
    const m = (s.metrics ?? {}) as { ne?: number[]; expert?: number; expertActivations?: number[]; outputError?: number; kl?: number };
    if (!m.ne) throw new Error(`run ${runId}: the statistics of ${s.tensor} lack its shape`);
    let t = tensors.get(s.tensor);
    if (!t) {
      t = { name: s.tensor, layer: s.layer, kind: s.kind, ne: m.ne, activations: s.activations ?? 0, candidates: [] };
      if (m.expert !== undefined) t.expert = m.expert;
      if (m.expertActivations) t.expertActivations = m.expertActivations;
      tensors.set(s.tensor, t);
    }
    t.candidates.push({
      type: s.type,
      bytes: s.bytes,
      error: s.error ?? NaN,
      ...(m.outputError !== undefined ? { outputError: m.outputError } : {}),
      ...(m.kl !== undefined ? { kl: m.kl } : {}),
    });
  }
  return {
    version: 1,
    model: JSON.parse(head.model as string),
    calibration: JSON.parse(head.calibration as string),
    method: head.method as SensitivityReport['method'],
    fixedBytes: head.fixed_bytes as number,
    ...(head.header_bytes !== null ? { headerBytes: head.header_bytes as number } : {}),
    tensors: [...tensors.values()],
  };
}

export interface PlanRow {
  id: number;
  projectId: number | null;
  modelId: number | null;
  sensitivityRunId: number | null;
  plan: PlanFile;
  createdAt: string;
}

export function addPlan(store: Store, p: { plan: PlanFile; projectId?: number | null; modelId?: number | null; sensitivityRunId?: number | null }): number {
  const r = store.db
    .prepare(
      `INSERT INTO plans (id, project_id, model_id, sensitivity_run_id, target_kind, target_value, plan, bytes, bits_per_weight, predicted_kl)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      store.nextId('plans'), p.projectId ?? null, p.modelId ?? null, p.sensitivityRunId ?? null, p.plan.target.kind, p.plan.target.value,
      JSON.stringify(p.plan), p.plan.bytes, p.plan.bitsPerWeight, p.plan.predictedKl,
    );
  return Number(r.lastInsertRowid);
}

const toPlanRow = (r: Record<string, unknown>): PlanRow => ({
  id: r.id as number,
  projectId: r.project_id as number | null,
  modelId: r.model_id as number | null,
  sensitivityRunId: r.sensitivity_run_id as number | null,
  plan: JSON.parse(r.plan as string),
  createdAt: r.created_at as string,
});

export function getPlan(store: Store, id: number): PlanRow | undefined {
  const r = store.db.prepare('SELECT * FROM plans WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return r && toPlanRow(r);
}

export function listPlans(store: Store, filter: { modelId?: number; sensitivityRunId?: number; projectId?: number } = {}): PlanRow[] {
  const rows = store.db
    .prepare('SELECT * FROM plans WHERE (? IS NULL OR model_id = ?) AND (? IS NULL OR sensitivity_run_id = ?) AND (? IS NULL OR project_id = ?) ORDER BY id DESC')
    .all(
      filter.modelId ?? null, filter.modelId ?? null, filter.sensitivityRunId ?? null, filter.sensitivityRunId ?? null, filter.projectId ?? null, filter.projectId ?? null,
    ) as Record<string, unknown>[];
  return rows.map(toPlanRow);
}
