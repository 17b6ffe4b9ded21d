// signal-exit 3 (the version Ink runs its own exit hook on) ships no types.
declare module 'signal-exit' {
	/**
	 * Runs `handler` when the process exits, however it does; `alwaysLast` runs it after every other handler (Ink's
	 * included). Returns the function that removes it.
	 */
	export default function onExit(handler: (code: number | null, signal: string | null) => void, options?: {alwaysLast?: boolean}): () => void;
}
