// Jobs as the window sees them: loaded from the host on start (so a reopened window re-attaches
// to running jobs and sees finished ones), then kept current by job events.
import type { JobEvent, JobInfo, JobSpec } from '../../../main/contract/api';
import { api } from '../api';
import { session } from './session.svelte';

class Jobs {
  list = $state.raw<JobInfo[]>([]);
  error = $state('');

  constructor() {
    api.onJobEvent((e) => this.apply(e));
    void this.reload();
  }

  async reload() {
    try {
      this.list = await api.listJobs(null);
      this.error = '';
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  private apply(e: JobEvent) {
    const old = this.list.find((j) => j.id === e.job.id);
    const log = old ? (e.line ? [...old.log, e.line].slice(-200) : old.log) : e.line ? [e.line] : [];
    const job = { ...e.job, log };
    this.list = old ? this.list.map((j) => (j.id === job.id ? job : j)) : [job, ...this.list];
    if (job.status !== 'running') session.revision++;
  }

  /** A deleted project's jobs leave the page. */
  dropProject(projectId: number) {
    this.list = this.list.filter((j) => j.projectId !== projectId);
  }

  forProject(projectId: number | undefined): JobInfo[] {
    return this.list.filter((j) => j.projectId === projectId);
  }

  async start(spec: JobSpec): Promise<JobInfo> {
    const job = await api.startJob(spec);
    if (!this.list.some((j) => j.id === job.id)) this.list = [job, ...this.list];
    return job;
  }
}

export const jobs = new Jobs();
