// A modal question (native <dialog>: focus moves in, Escape closes, the page behind is inert).
// With `typeToConfirm`, the confirm button waits until that exact text is typed (destroy).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export function ConfirmDialog(props: {
  title: string;
  confirmLabel: string;
  danger?: boolean;
  typeToConfirm?: string;
  onConfirm: () => void;
  onClose: () => void;
  children?: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const ok = props.typeToConfirm === undefined || typed === props.typeToConfirm;
  return (
    <dialog ref={ref} class="dialog" onClose={props.onClose} aria-labelledby="dialog-title">
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (!ok) return;
          props.onConfirm();
          ref.current?.close();
        }}
      >
        <h2 id="dialog-title">{props.title}</h2>
        {props.children}
        {props.typeToConfirm !== undefined && (
          <label class="field">
            Type <strong>{props.typeToConfirm}</strong> to confirm
            <input autoFocus value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} autocomplete="off" spellcheck={false} />
          </label>
        )}
        <div class="actions">
          <button type="button" class="ghost" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" class={props.danger ? 'danger' : 'primary'} disabled={!ok} autoFocus={props.typeToConfirm === undefined}>
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
