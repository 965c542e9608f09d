// What the views share: the open project and the imported model. Kept in localStorage so a
// reopened window comes back where it was: the project at once (then checked with the host),
// the model once the host has read it again.
import type { ModelSummary, Project } from '../../../main/contract/api';
import { api } from '../api';

const KEY = 'lowbit.session';

interface Saved {
  project?: Project;
  /** older pages kept only the id */
  projectId?: number;
  modelPath?: string;
}

function readSaved(): Saved {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '{}') as Saved;
  } catch {
    return {};
  }
}

class Session {
  project = $state.raw<Project | null>(readSaved().project ?? null);
  model = $state.raw<ModelSummary | null>(null);
  /** the model is being read again after a reload */
  restoring = $state(!!readSaved().modelPath);
  /** the sensitivity run the Sensitivity and Plan views show */
  sensitivityRunId = $state<number | null>(null);
  /** bumped when runs change (a job finished), so views reload their lists */
  revision = $state(0);

  constructor() {
    void this.restore(readSaved());
  }

  private async restore(saved: Saved) {
    const id = saved.project?.id ?? saved.projectId;
    if (id !== undefined) {
      const projects = await api.listProjects().catch(() => null);
      // keep the remembered project when the host cannot be asked; drop it when it is gone
      if (projects && (this.project?.id ?? id) === id) this.project = projects.find((p) => p.id === id) ?? null;
    }
    if (saved.modelPath) {
      const model = await api.inspectModel(saved.modelPath).catch(() => null);
      if (!this.model) this.model = model;
    }
    this.restoring = false;
    this.save();
  }

  private save() {
    localStorage.setItem(KEY, JSON.stringify({ project: this.project ?? undefined, modelPath: this.model?.path }));
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
