// Light/dark theme: follows the system until the user picks one.
type Theme = 'light' | 'dark';

class ThemeStore {
  current = $state<Theme>(matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');

  toggle() {
    this.current = this.current === 'dark' ? 'light' : 'dark';
  }
}

export const theme = new ThemeStore();
