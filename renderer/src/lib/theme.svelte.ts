// Light/dark theme: follows the system until the user picks one, then remembers the choice.
type Theme = 'light' | 'dark';
const KEY = 'lowbit.theme';

class ThemeStore {
  current = $state<Theme>((localStorage.getItem(KEY) as Theme | null) ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));

  toggle() {
    this.current = this.current === 'dark' ? 'light' : 'dark';
    localStorage.setItem(KEY, this.current);
  }
}

export const theme = new ThemeStore();
