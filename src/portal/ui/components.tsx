/** Pieces every page uses: status badges, times, notices, buttons that copy, and confirmation dialogs. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import type { DeliveryStatus, Webhook } from './types';

export function StatusBadge({ status }: { status: DeliveryStatus }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** An endpoint's health in a word and a sentence: active, paused, failing since…, disabled and why. */
export function endpointHealth(w: Webhook): { word: string; tone: string; detail: string } {
  if (w.status === 'inactive' && w.disabledReason)
    return {
      word: 'disabled',
      tone: 'failed',
      detail: `Disabled ${when(w.disabledReason.at)}: ${w.disabledReason.reason}`,
    };
  if (w.status === 'inactive')
    return {
      word: 'paused',
      tone: 'paused',
      detail: 'Paused: new events are skipped (Recover re-sends them); deliveries in retry wait until it is resumed',
    };
  if (w.hold)
    return {
      word: 'waiting',
      tone: 'retrying',
      detail: `Waiting: the endpoint asked to retry after ${w.hold.askedSeconds} s (${w.hold.reason}); deliveries resume ${when(w.hold.until)}`,
    };
  if (w.failing)
    return {
      word: 'failing',
      tone: 'retrying',
      detail: `Failing since ${when(w.failing.since)}: ${w.failing.failedDeliveries} deliveries failed (${w.failing.lastError}); disabled ${when(w.failing.disableAt)} unless one succeeds`,
    };
  return { word: 'active', tone: 'succeeded', detail: 'Active' };
}

export function HealthBadge({ webhook }: { webhook: Webhook }) {
  const health = endpointHealth(webhook);
  return (
    <span class={`badge badge-${health.tone}`} title={health.detail}>
      {health.word}
    </span>
  );
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function Time({ at }: { at: string | null | undefined }) {
  return at ? <time dateTime={at}>{when(at)}</time> : <span>—</span>;
}

export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : 'Something went wrong';
  const details = error instanceof ApiError ? error.details : [];
  return (
    <div class="notice notice-error" role="alert">
      <p>{message}</p>
      {details.length > 1 && (
        <ul>
          {details.map((d) => (
            <li key={d.field}>
              <code>{d.field}</code>: {d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ComponentChildren; tone?: 'info' | 'success' }) {
  return (
    <div class={`notice notice-${tone}`} role="status">
      {children}
    </div>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(text).then(() => {
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    });
  };
  return (
    <button type="button" class="button-small" onClick={copy}>
      {copied ? 'Copied' : label}
    </button>
  );
}

/** A modal dialog (the browser's own <dialog>: focus is trapped and Escape closes it). */
export function Dialog({
  title,
  open,
  onClose,
  children,
}: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} onClose={onClose} aria-labelledby="dialog-title">
      <h2 id="dialog-title">{title}</h2>
      {children}
    </dialog>
  );
}

/** Runs an action once at a time, keeping its error to show. */
export function useAction<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = async (...args: A) => {
    setBusy(true);
    setError(undefined);
    try {
      await action(...args);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error };
}
