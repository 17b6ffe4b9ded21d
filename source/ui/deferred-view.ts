// Views the dashboard's first frame never draws (help, the message log and palette, the update and history panes):
// loaded right after that frame instead of before it, so the first frame waits only for what it shows.
import {useEffect, useState} from 'react';

export type DeferredView<M> = {
	/** The module once loaded; until then undefined (the first render starts the load, after its frame is drawn). */
	useModule(): M | undefined;
	/** Starts the load (once); resolves with the module. */
	load(): Promise<M>;
};

export function deferredView<M>(importer: () => Promise<M>): DeferredView<M> {
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
		useModule() {
			const [, setModule] = useState(loaded);
			const [, setFailure] = useState<unknown>();
			useEffect(() => {
				if (loaded === undefined) {
					load().then(setModule, setFailure);
				}
			}, []);
			if (failure !== undefined) {
				// A view that cannot load (a broken install) is an error to see, not a blank pane.
				throw failure instanceof Error ? failure : new Error(String(failure));
			}

			return loaded;
		},
	};
}
