// Which request a view is waiting for, so its buttons stay disabled until the answer comes:
// a double-click starts one job, creates one project.
export class Pending {
  /** the name of the action in flight, or '' */
  current = $state('');

  /** Runs fn unless another action of this view is in flight; returns fn's error message, or ''. */
  async run(what: string, fn: () => Promise<unknown>): Promise<string> {
    if (this.current) return '';
    this.current = what;
    try {
      await fn();
      return '';
    } catch (e) {
      return (e as Error).message;
    } finally {
      this.current = '';
    }
  }

  is(what: string): boolean {
    return this.current === what;
  }

  get busy(): boolean {
    return this.current !== '';
  }
}
