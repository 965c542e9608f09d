// Which view is shown; views link to the next step of the flow through go().
export const VIEWS = ['Projects', 'Model', 'Calibration', 'Sensitivity', 'Plan', 'Run', 'Results', 'Export'] as const;
export type View = (typeof VIEWS)[number];

const KEY = 'lowbit.view';

class Router {
  view = $state<View>(VIEWS.find((v) => v === sessionStorage.getItem(KEY)) ?? 'Projects');

  go(v: View) {
    this.view = v;
    sessionStorage.setItem(KEY, v);
    // move focus to the new view so keyboard users land on its content
    queueMicrotask(() => {
      const h1 = document.querySelector<HTMLElement>('main h1');
      h1?.setAttribute('tabindex', '-1');
      h1?.focus();
      window.scrollTo(0, 0);
    });
  }
}

export const router = new Router();
