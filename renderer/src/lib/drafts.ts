// What the user typed into a form, kept per project in localStorage so it survives navigation,
// a reload and a restart. A draft only restores fields the form still has, with the same type,
// so an old or hand-edited entry cannot put a string where a number belongs.
const PREFIX = 'lowbit.draft.';

const keyOf = (projectId: number, form: string) => `${PREFIX}${projectId}.${form}`;

/** The stored draft as an object, or null when there is none or it is broken. */
function stored(storage: Storage, key: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(storage.getItem(key) ?? 'null');
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function loadDraft<T extends object>(projectId: number | undefined, form: string, defaults: T, storage: Storage = localStorage): T {
  const out = { ...defaults };
  const saved = projectId === undefined ? null : stored(storage, keyOf(projectId, form));
  if (!saved) return out;
  for (const k of Object.keys(defaults) as Array<keyof T>) {
    const v = saved[k as string] as T[keyof T];
    const d = defaults[k];
    if (v === undefined) continue;
    if (Array.isArray(d) ? Array.isArray(v) : d === null || typeof v === typeof d) out[k] = v;
  }
  return out;
}

export function saveDraft(projectId: number | undefined, form: string, value: unknown, storage: Storage = localStorage): void {
  if (projectId !== undefined) storage.setItem(keyOf(projectId, form), JSON.stringify(value));
}

/** Forgets every draft of a deleted project. */
export function dropDrafts(projectId: number, storage: Storage = localStorage): void {
  const prefix = `${PREFIX}${projectId}.`;
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const k = storage.key(i);
    if (k?.startsWith(prefix)) keys.push(k);
  }
  for (const k of keys) storage.removeItem(k);
}

/** Changes some fields of another form's draft (a view preparing the next step's form). */
export function patchDraft(projectId: number | undefined, form: string, fields: object, storage: Storage = localStorage): void {
  if (projectId === undefined) return;
  // a broken draft is replaced
  storage.setItem(keyOf(projectId, form), JSON.stringify({ ...stored(storage, keyOf(projectId, form)), ...fields }));
}
