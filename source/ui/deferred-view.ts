// Views the dashboard's first frame never draws (help, the message log and palette, the update and history panes):
// loaded right after that frame instead of before it, so the first frame waits only for what it shows.
import {useEffect, useState} from 'react';

export type DeferredView<M> = {
	/**
	 * The module once loaded; until then undefined. The load starts at once when the view is `needed` on screen, else
	 * `delayMs` after the first frame (unless `preload` is false: a view that is seldom wanted).
	 */
	useModule(needed?: boolean, preload?: boolean): M | undefined;
	/**
	 * Why the module could not load (a broken install), as one line to show where the view would be; undefined while it
	 * loads or once it has. Not thrown: a throw in a render makes Ink leave the whole app.
	 */
	failure(): string | undefined;
	/** Starts the load (once); resolves with the module. */
	load(): Promise<M>;
};

/**
 * `delayMs`: how long after the first frame the load starts, leaving the CPU to what that frame waits for next (the
 * dashboard's first polls); a view asked for before it is loaded shows "loading…" until it is.
 */
export function deferredView<M>(importer: () => Promise<M>, {delayMs = 0}: {delayMs?: number} = {}): DeferredView<M> {
	let loaded: M | undefined;
	let failure: unknown;
	let loading: Promise<M> | undefined;
	const load = async () => {
		loading ??= importer().then(
			module => {
				loaded = module;
				return module;
			},
			(error: unknown) => {
				failure = error;
				throw error;
			},
		);
		return loading;
	};

	return {
		load,
		failure() {
			if (failure === undefined) {
				return undefined;
			}

			return failure instanceof Error ? failure.message : String(failure);
		},
		useModule(needed = false, preload = true) {
			const [, setModule] = useState(loaded);
			const [, setFailure] = useState<unknown>();
			useEffect(() => {
				if (loaded !== undefined || (!needed && !preload)) {
					return;
				}

				let cancelled = false;
				const timer = setTimeout(() => {
					load().then(module => {
						if (!cancelled) {
							setModule(module);
						}
					}, (error: unknown) => {
						if (!cancelled) {
							setFailure(error);
						}
					});
				}, needed ? 0 : delayMs);
				return () => {
					cancelled = true;
					clearTimeout(timer);
				};
			}, [needed, preload]);
			return loaded;
		},
	};
}
