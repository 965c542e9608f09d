// A form's fields as reactive state, loaded from and saved to the open project's draft. Call it
// while a view is created: App re-creates the views when another project opens.
import { loadDraft, saveDraft } from '../lib/drafts';
import { session } from './session.svelte';

export function draft<T extends object>(form: string, defaults: T): T {
  const projectId = session.project?.id;
  const fields = $state(loadDraft(projectId, form, defaults));
  $effect(() => saveDraft(projectId, form, $state.snapshot(fields)));
  return fields;
}
