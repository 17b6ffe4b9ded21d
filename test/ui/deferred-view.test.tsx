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

function Screen({view}: {view: ReturnType<typeof deferredView<ViewModule>>}) {
	const module = view.useModule();
	return module === undefined ? <Text>first frame, view loading</Text> : <module.View />;
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
	const frame = await waitForFrame(app, text => text.includes('Cannot find module'));
	t.false(frame.includes('view loading'));
	await t.throwsAsync(view.load(), {message: 'Cannot find module help-view.js'});
});
