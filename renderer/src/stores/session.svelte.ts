// What the views share: the open project and the imported model. Kept in localStorage so a
// reopened window comes back where it was.
import type { ModelSummary, Project } from '../../../main/contract/api';
import { api } from '../api';

const KEY = 'lowbit.session';

class Session {
  project = $state.raw<Project | null>(null);
  model = $state.raw<ModelSummary | null>(null);
  /** the sensitivity run the Sensitivity and Plan views show */
  sensitivityRunId = $state<number | null>(null);
  /** bumped when runs change (a job finished), so views reload their lists */
  revision = $state(0);

  constructor() {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as { projectId?: number; modelPath?: string };
    void this.restore(saved);
  }

  private async restore(saved: { projectId?: number; modelPath?: string }) {
    if (saved.projectId) this.project = (await api.listProjects().catch(() => [])).find((p) => p.id === saved.projectId) ?? null;
    if (saved.modelPath) this.model = await api.inspectModel(saved.modelPath).catch(() => null);
  }

  private save() {
    localStorage.setItem(KEY, JSON.stringify({ projectId: this.project?.id, modelPath: this.model?.path }));
  }

  open(p: Project | null) {
    this.project = p;
    this.sensitivityRunId = null;
    this.save();
  }

  setModel(m: ModelSummary | null) {
    this.model = m;
    this.save();
  }
}

export const session = new Session();
