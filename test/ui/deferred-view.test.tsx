// Views the first frame does not draw load after it: the first frame is drawn without them, the module comes once,
// every later user gets it at once, and a module that cannot load is an error on screen, not a blank pane.
import React from 'react';
import test from 'ava';
import {Text} from 'ink';
import {render} from 'ink-testing-library';
import {deferredView} from '../../source/ui/deferred-view.js';
import {plain, waitForFrame} from './frames.js';

type ViewModule = {View: () => React.ReactElement};

function gate() {
	let open!: (module: ViewModule) => void;
	const promise = new Promise<ViewModule>(resolve => {
		open = resolve;
	});
	return {promise, open};
}

function Screen({view, needed, preload}: {view: ReturnType<typeof deferredView<ViewModule>>; needed?: boolean; preload?: boolean}) {
	const module = view.useModule(needed, preload);
	if (module !== undefined) {
		return <module.View />;
	}

	const failure = view.failure();
	return <Text>{failure === undefined ? 'first frame, view loading' : `cannot load: ${failure}`}</Text>;
}

test('the first frame is drawn before the view loads; the view replaces it once loaded, imported once', async t => {
	const {promise, open} = gate();
	let imports = 0;
	const view = deferredView(async () => {
		imports++;
		return promise;
	});
	const first = render(<Screen view={view} />);
	t.teardown(() => first.unmount());
	t.is(plain(first.lastFrame()), 'first frame, view loading');
	// The load starts after the first frame (an effect), not before it.
	await waitForFrame(first, () => imports === 1);
	open({View: () => <Text>the help</Text>});
	await waitForFrame(first, frame => frame === 'the help');
	const second = render(<Screen view={view} />);
	t.teardown(() => second.unmount());
	t.is(plain(second.lastFrame()), 'the help', 'loaded once, a later mount draws it in its first frame');
	t.is(imports, 1);
	t.is((await view.load()).View, (await promise).View);
	t.is(imports, 1);
});

test('a view that cannot load shows its error instead of "loading" forever', async t => {
	const view = deferredView<ViewModule>(async () => {
		throw new Error('Cannot find module help-view.js');
	});
	const app = render(<Screen view={view} />);
	t.teardown(() => app.unmount());
	t.is(view.failure(), undefined, 'no failure before the load');
	const frame = await waitForFrame(app, text => text.includes('Cannot find module'));
	t.is(frame, 'cannot load: Cannot find module help-view.js');
	await t.throwsAsync(view.load(), {message: 'Cannot find module help-view.js'});
	// The app is still there (a throw in a render would have made Ink leave it): it goes on drawing.
	app.rerender(<Text>still drawing</Text>);
	t.is(plain(app.lastFrame()), 'still drawing');
});

test('with a delay the load waits for it, unless the view is needed on screen; a view not preloaded loads only when needed', async t => {
	const counts = {late: 0, seldom: 0};
	const late = deferredView<ViewModule>(async () => {
		counts.late++;
		return {View: () => <Text>late view</Text>};
	}, {delayMs: 60_000});
	const seldom = deferredView<ViewModule>(async () => {
		counts.seldom++;
		return {View: () => <Text>seldom view</Text>};
	});
	const app = render(<><Screen view={late} /><Screen view={seldom} preload={false} /></>);
	t.teardown(() => app.unmount());
	// Nothing is loaded in the first moments after the first frame: the delay holds one, the other is never preloaded.
	await new Promise(resolve => {
		setTimeout(resolve, 200);
	});
	t.deepEqual(counts, {late: 0, seldom: 0});
	t.is(plain(app.lastFrame()), 'first frame, view loading\nfirst frame, view loading');
	// Needed now: both load at once, delay or not.
	app.rerender(<><Screen needed view={late} /><Screen needed view={seldom} preload={false} /></>);
	await waitForFrame(app, frame => frame === 'late view\nseldom view');
	t.deepEqual(counts, {late: 1, seldom: 1});
});
