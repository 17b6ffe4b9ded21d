// The wall's patches of blessed and blessed-contrib, on a real (headless) blessed screen: each test checks the library
// internal a patch relies on and what the patch does, so an update of either library that moves them fails here.
import {PassThrough} from 'node:stream';
import {createRequire} from 'node:module';
import test, {type ExecutionContext} from 'ava';
import blessed from 'blessed';
import {
	clearCanvas,
	contribWidgetPaths,
	drawOnlyWhenChanged,
	loadContribWidgets,
	plotToTheBottom,
	tableRows,
	unicodeLines,
	unwrapListItems,
} from '../../source/wall/blessed-patches.js';

const require = createRequire(import.meta.url);
const widgets = loadContribWidgets();

function headlessScreen(t: ExecutionContext, columns = 80, rows = 24): blessed.Widgets.Screen {
	const output = Object.assign(new PassThrough(), {columns, rows, isTTY: true});
	output.resume();
	const input = Object.assign(new PassThrough(), {isTTY: true, setRawMode: () => input});
	const screen = blessed.screen({input: input as never, output: output as never, terminal: 'xterm-256color', warnings: false});
	t.teardown(() => screen.destroy());
	return screen;
}

test('the four widget files are where the wall loads them from, each a widget factory', t => {
	for (const [name, path] of Object.entries(contribWidgetPaths)) {
		t.is(typeof require(path), 'function', name);
	}

	t.is(typeof widgets.line, 'function');
});

test('list items: blessed wraps each item box and keeps laid-out lines; unwrapped, a coloured row keeps its last word', t => {
	const screen = headlessScreen(t);
	const table = widgets.table({left: 0, top: 0, width: 24, height: 6, columnWidth: [20], columnSpacing: 0} as never);
	screen.append(table);
	const row = '\u001b[32mone two three four five\u001b[39m'.slice(0, 30);
	table.setData({headers: ['h'], data: [[row]]});
	screen.render();
	const items = (tableRows(table) as unknown as {items: Array<{wrap: boolean; _clines: unknown}>}).items;
	t.true(items.length > 0);
	t.true(items[0].wrap, 'blessed makes list items that wrap');
	t.truthy(items[0]._clines, 'and lays them out into _clines');
	unwrapListItems(tableRows(table));
	t.false(items[0].wrap);
	t.is(items[0]._clines, null);
	screen.render();
	t.truthy(items[0]._clines, 'laid out again on the next render');
});

test('canvas widgets: contrib draws into ctx._canvas and renders through _render; drawn again only after a change', t => {
	const screen = headlessScreen(t);
	const chart = widgets.line({left: 0, top: 0, width: 40, height: 10, border: {type: 'line'}, showLegend: false} as never);
	screen.append(chart);
	const internals = chart as unknown as {ctx: {_canvas: {frame(): string}}; _render: unknown; clearPos: unknown; calcSize: unknown; canvasSize: {width: number; height: number}};
	t.is(typeof internals._render, 'function');
	t.is(typeof internals.clearPos, 'function');
	t.is(typeof internals.calcSize, 'function');
	let frames = 0;
	const frame = internals.ctx._canvas.frame.bind(internals.ctx._canvas);
	internals.ctx._canvas.frame = () => {
		frames++;
		return frame();
	};

	drawOnlyWhenChanged(chart, ['setData', 'clear']);
	chart.setData([{title: 'm', x: ['a', 'b'], y: [1, 2], style: {line: 'cyan'}}]);
	screen.render();
	screen.render();
	screen.render();
	t.is(frames, 1, 'three screen renders, one canvas frame');
	clearCanvas(chart);
	screen.render();
	t.is(frames, 2);
});

test('the plot reaches the bottom of the box: contrib sizes its canvas through calcSize', t => {
	const screen = headlessScreen(t);
	const plain = widgets.line({left: 0, top: 0, width: 40, height: 10, border: {type: 'line'}, showLegend: false} as never);
	screen.append(plain);
	t.true((plain as unknown as {canvasSize: {height: number}}).canvasSize.height < 10 * 4, 'contrib alone keeps rows for the x labels');
	const chart = widgets.line({left: 0, top: 10, width: 40, height: 10, border: {type: 'line'}, showLegend: false} as never);
	// As the wall does it: patched before it is attached, which is when contrib sizes the canvas again.
	plotToTheBottom(chart);
	screen.append(chart);
	chart.setData([{title: 'm', x: ['a', 'b'], y: [1, 2], style: {line: 'cyan'}}]);
	screen.render();
	t.deepEqual((chart as unknown as {canvasSize: unknown}).canvasSize, {width: 40 * 2 - 12, height: 10 * 4});
});

test('a UTF-8 terminal: blessed\'s tput says unicode, and the line-drawing set is switched off', t => {
	const screen = headlessScreen(t);
	const {tput} = screen as unknown as {tput: {unicode: boolean; brokenACS: boolean}};
	t.is(typeof tput.unicode, 'boolean');
	t.is(typeof tput.brokenACS, 'boolean');
	tput.unicode = true;
	unicodeLines(screen);
	t.true(tput.brokenACS);
});
