// Copies a value (git remote, webhook URL) to the clipboard and says so where the button is.
import { useState } from 'preact/hooks';

async function copy(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  // http:// on a LAN name is no secure context: the old way still works there.
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}

export function CopyButton(props: { value: string; label: string }) {
  const [done, setDone] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <button
      type="button"
      class="ghost small copy"
      aria-label={`Copy ${props.label}`}
      onClick={() =>
        copy(props.value).then(
          () => setDone('copied'),
          () => setDone('failed'),
        ).finally(() => setTimeout(() => setDone('idle'), 1500))
      }
    >
      {done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}
