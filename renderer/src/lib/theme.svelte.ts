// Light/dark theme: follows the system until the user picks one, then remembers the choice.
// The page's data-theme changes at once with the choice, so whatever redraws on a theme change
// (charts) already reads the new colours.
type Theme = 'light' | 'dark';
const KEY = 'lowbit.theme';

class ThemeStore {
  current = $state<Theme>((localStorage.getItem(KEY) as Theme | null) ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));

  constructor() {
    document.documentElement.dataset.theme = this.current;
  }

  toggle() {
    this.current = this.current === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = this.current;
    localStorage.setItem(KEY, this.current);
  }
}

export const theme = new ThemeStore();
