// Every place the wall reaches into blessed or blessed-contrib beyond their documented API, in one file, each with
// its reason. test/wall/blessed-patches.test.ts checks the internals each one relies on, so a library update that
// moves them fails a test instead of silently drawing a broken wall.
import {createRequire} from 'node:module';
import type blessed from 'blessed';
import type * as contrib from 'blessed-contrib';

const require = createRequire(import.meta.url);

/** The files the wall loads from blessed-contrib, by path inside the package. */
export const contribWidgetPaths = {
	line: 'blessed-contrib/lib/widget/charts/line.js',
	gauge: 'blessed-contrib/lib/widget/gauge.js',
	table: 'blessed-contrib/lib/widget/table.js',
	log: 'blessed-contrib/lib/widget/log.js',
} as const;

/**
 * Only the four widgets the wall draws. Why: blessed-contrib's index also loads maps, pictures and markdown
 * (8 MB more resident memory for nothing the wall shows). Relies on: the files under lib/widget/.
 */
export function loadContribWidgets() {
	return {
		line: require(contribWidgetPaths.line) as typeof contrib.line,
		gauge: require(contribWidgetPaths.gauge) as typeof contrib.gauge,
		table: require(contribWidgetPaths.table) as typeof contrib.table,
		log: require(contribWidgetPaths.log) as typeof contrib.log,
	};
}

type ListItem = {wrap: boolean; _clines: unknown};

/**
 * List items (a contrib table's rows, a contrib log's lines) without wrapping. Why: blessed makes each item a box of
 * its own with wrapping on, and wraps a line exactly as wide as the box when it ends in a colour sequence, losing its
 * last word. Relies on: `list.items` holding the item boxes, their `wrap` flag, and `_clines` (their laid-out lines,
 * made again when null): an item already laid out when it got its content must be laid out again.
 */
export function unwrapListItems(list: blessed.Widgets.ListElement | blessed.Widgets.BlessedElement): void {
	for (const item of (list as unknown as {items: ListItem[]}).items) {
		if (item.wrap) {
			item.wrap = false;
			item._clines = null;
		}
	}
}

type CanvasInternals = {
	ctx?: {_canvas: {frame(): string}};
	setContent(text: string): void;
	clearPos(get?: boolean): void;
	_render(): unknown;
	render(): unknown;
};

/**
 * A contrib canvas (chart, gauge) turned into text only after it was drawn on. Why: contrib makes the text again on
 * every screen render, for every chart and gauge, changed or not; on a wall of 12 devices that is most of the
 * drawing. Relies on: `ctx._canvas.frame()` giving the canvas as text, `clearPos`, `setContent`, and `_render` being
 * the box's own render that contrib's `render` wraps; `drawingMethods` are the widget's methods that draw.
 */
export function drawOnlyWhenChanged(element: object, drawingMethods: readonly string[]): void {
	const canvas = element as CanvasInternals & Record<string, unknown>;
	let dirty = true;
	for (const name of drawingMethods) {
		const method = canvas[name] as (...args: unknown[]) => unknown;
		canvas[name] = function (this: unknown, ...args: unknown[]) {
			dirty = true;
			return method.apply(this, args);
		};
	}

	canvas.render = function () {
		if (dirty && canvas.ctx) {
			canvas.clearPos(true);
			canvas.setContent(canvas.ctx._canvas.frame());
			dirty = false;
		}

		return canvas._render();
	};
}

/**
 * A line chart whose plot takes the whole box. Why: contrib keeps the canvas's bottom 11 dots for x labels under a
 * 2-row border allowance; on a wall the ages of the samples matter less than the plot, so the canvas reaches below
 * the box and blessed cuts the labels off, leaving the axis on the last row inside the border. Relies on: contrib
 * calling `calcSize()` to set `canvasSize` from the box's `width` and `height`.
 */
export function plotToTheBottom(chart: contrib.Widgets.LineElement): void {
	(chart as unknown as {calcSize(): void}).calcSize = function (this: {width: number; height: number; canvasSize: unknown}) {
		this.canvasSize = {width: this.width * 2 - 12, height: this.height * 4};
	};
}

/**
 * Box lines drawn as the Unicode characters they are. Why: on a UTF-8 terminal blessed still switches to the DEC
 * line-drawing set, which adds nothing there and garbles the lines in terminals that lack it. Relies on: the
 * screen's `tput.unicode` and `tput.brokenACS` flags.
 */
export function unicodeLines(screen: blessed.Widgets.Screen): void {
	const {tput} = screen as unknown as {tput: {unicode: boolean; brokenACS: boolean}};
	if (tput.unicode) {
		tput.brokenACS = true;
	}
}

/**
 * The list inside a contrib table that holds its rows. Why: the rows need `unwrapListItems` after every `setData`.
 * Relies on: contrib's table keeping that list as `rows`.
 */
export function tableRows(table: contrib.Widgets.TableElement): blessed.Widgets.ListElement {
	return (table as unknown as {rows: blessed.Widgets.ListElement}).rows;
}

/**
 * An empty chart or gauge (no data is not 0 %). Why: contrib's typings lack it. Relies on: contrib's `clear()`.
 */
export function clearCanvas(widget: contrib.Widgets.LineElement | contrib.Widgets.GaugeElement): void {
	(widget as unknown as {clear(): void}).clear();
}
