// The blessed-contrib screen of the wall: builds widgets from the layout, feeds them store snapshots at a bounded rate, handles keys.
import blessed from 'blessed';
import type * as contrib from 'blessed-contrib';
import type {DeviceSnapshot, FleetSnapshot, FleetStore} from '../core/fleet-store.js';
import {alertNote} from '../display/alert-note.js';
import type {WallAlerts} from './wall-prometheus.js';
import {clearCanvas, drawOnlyWhenChanged, loadContribWidgets, plotToTheBottom, tableRows, unicodeLines, unwrapListItems} from './blessed-patches.js';
import type {FleetStderr} from './fleet-stderr.js';
import {wallHelpLines, wallKeyNames, type WallIntent} from './wall-keys.js';
import {wallLayout, type Rect, type Tile, type WallLayout} from './wall-layout.js';
import {textWidth} from '../display/columns.js';
import {canvasColors, painter} from './wall-paint.js';
import {
	chartModel,
	factsLines,
	listHeading,
	listRow,
	permGauge,
	serviceTable,
	stderrLine,
	tileHeader,
	titleLine,
	tooSmallText,
} from './wall-model.js';

export type WallScreenOptions = {
	store: Pick<FleetStore, 'subscribe' | 'getSnapshot'>;
	/** The fleet's stderr pane; null leaves the pane out. */
	stderr: FleetStderr | null;
	color: boolean;
	/** How long a page stays before the next one (when there are several). */
	pageSeconds: number;
	/** Renders per second at most (default 2). */
	maxRendersPerSecond?: number;
	input?: NodeJS.ReadStream;
	output?: NodeJS.WriteStream;
	/** Ends the wall like `q` does. */
	signal?: AbortSignal;
	/** The terminal type blessed should assume (default $TERM). */
	terminal?: string;
	now?: () => number;
	/** Prometheus's alerts (--prometheus): on the tiles and rows, counted in the title. */
	alerts?: WallAlerts;
	/** Told the names of the devices on the page whenever it changes (the store polls the others less often). */
	focus?: (devices: readonly string[]) => void;
};

const contribWidgets = loadContribWidgets();

type TileWidgets = {
	tile: Tile;
	header: blessed.Widgets.BoxElement;
	chart: contrib.Widgets.LineElement | null;
	gauge: blessed.Widgets.BoxElement | null;
	facts: blessed.Widgets.BoxElement | null;
	table: contrib.Widgets.TableElement;
	/** The snapshot the widgets show: the store keeps a device's object while it does not change. */
	shown: DeviceSnapshot | undefined;
	/** What each widget was last given, so an unchanged widget is not touched (and not redrawn). */
	memo: Partial<Record<'header' | 'chart' | 'gauge' | 'facts' | 'table', string>>;
};

type Built = {
	layout: WallLayout;
	/** The number of devices the layout was made for. */
	deviceCount: number;
	elements: blessed.Widgets.BlessedElement[];
	tiles: TileWidgets[];
	list: blessed.Widgets.BoxElement | null;
	log: contrib.Widgets.LogElement | null;
	logVersion: number;
	listShown: readonly DeviceSnapshot[] | undefined;
};

// Boxes do not wrap: blessed wraps a line as wide as the box when it ends in a colour sequence, losing its last word.
const position = (rect: Rect) => ({left: rect.left, top: rect.top, width: rect.width, height: rect.height, wrap: false});

/** Runs the wall until `q`, Ctrl-C or the signal; the terminal is restored before it resolves. */
export async function runWall(options: WallScreenOptions): Promise<void> {
	const now = options.now ?? Date.now;
	const paint = painter(options.color);
	const alertOf = (device: DeviceSnapshot) => (options.alerts ? alertNote(options.alerts.for(device.name)) : undefined);
	const colors = canvasColors(options.color);
	const minRenderGapMs = 1000 / Math.max(0.1, options.maxRendersPerSecond ?? 2);
	const pageMs = Math.max(1, options.pageSeconds) * 1000;
	const screen = blessed.screen({
		smartCSR: true,
		input: options.input ?? process.stdin,
		output: options.output ?? process.stdout,
		terminal: options.terminal,
		title: 'krazy-tui wall',
		warnings: false,
		autoPadding: true,
	});
	// A new object for every widget: blessed writes into the border options it is given.
	const border = (): blessed.Widgets.Border => ({type: 'line'});
	const borderStyle = (fg?: string) => (options.color && fg ? {border: {fg}} : {});

	let snapshot: FleetSnapshot = options.store.getSnapshot();
	let page = 0;
	let paused = false;
	let pageStartedAt = now();
	let lastRenderAt = 0;
	let renderTimer: NodeJS.Timeout | undefined;
	let resizeTimer: NodeJS.Timeout | undefined;
	let finished = false;

	unicodeLines(screen);

	const title = blessed.box({top: 0, left: 0, width: '100%', height: 1, content: '', wrap: false});
	screen.append(title);
	const help = blessed.box({
		top: 'center', left: 'center', width: 'shrink', height: 'shrink', hidden: true, label: ' keys ',
		border: border(), style: borderStyle('yellow'), padding: {left: 1, right: 1},
		content: wallHelpLines().join('\n'),
	});

	let built: Built | undefined;

	const destroyBuilt = () => {
		if (!built) {
			return;
		}

		for (const element of built.elements) {
			element.detach();
			element.destroy();
		}

		built = undefined;
	};

	const buildTile = (tile: Tile, elements: blessed.Widgets.BlessedElement[]): TileWidgets => {
		const {parts} = tile;
		const header = blessed.box({...position(parts.header), content: ''});
		screen.append(header);
		elements.push(header);
		let chart: contrib.Widgets.LineElement | null = null;
		if (parts.chart) {
			chart = contribWidgets.line({
				...position(parts.chart),
				label: ' memory ',
				border: border(),
				style: {line: colors.memory, text: colors.text, baseline: colors.baseline, ...borderStyle(colors.border)},
				showLegend: false,
				wholeNumbersOnly: true,
				minY: 0,
				maxY: 100,
				xPadding: 8,
				xLabelPadding: 6,
				numYLabels: 2,
			} as contrib.Widgets.LineOptions);
			plotToTheBottom(chart);

			drawOnlyWhenChanged(chart, ['setData', 'clear']);
			screen.append(chart);
			elements.push(chart);
			// The y axis's unit, above its labels (contrib prints bare numbers): memory and CPU are both percentages.
			const unit = blessed.box({left: parts.chart.left + 1, top: parts.chart.top + 1, width: 3, height: 1, content: paint.paint('%', 'muted'), wrap: false});
			screen.append(unit);
			elements.push(unit);
		}

		let gauge: blessed.Widgets.BoxElement | null = null;
		if (parts.gauge) {
			// A text gauge: contrib's draws only the used part, so a few percent was a bar one cell wide with no whole.
			gauge = blessed.box({
				...position(parts.gauge),
				label: ' /perm ',
				border: border(),
				style: borderStyle(colors.border),
				content: '',
				tags: false,
			});
			screen.append(gauge);
			elements.push(gauge);
		}

		let facts: blessed.Widgets.BoxElement | null = null;
		if (parts.facts) {
			facts = blessed.box({...position(parts.facts), content: ''});
			screen.append(facts);
			elements.push(facts);
		}

		const table = contribWidgets.table({
			...position(parts.table),
			label: ' services ',
			border: border(),
			style: borderStyle(colors.border),
			keys: false,
			interactive: false,
			fg: 'default',
			selectedFg: 'default',
			selectedBg: 'default',
			columnSpacing: 0,
			columnWidth: [Math.max(1, parts.table.width - 3)],
		} as unknown as contrib.Widgets.TableOptions);
		screen.append(table);
		elements.push(table);
		return {tile, header, chart, gauge, facts, table, shown: undefined, memo: {}};
	};

	const build = () => {
		destroyBuilt();
		const layout = wallLayout({columns: screen.width as number, rows: screen.height as number, deviceCount: snapshot.devices.length, page});
		page = layout.page;
		options.focus?.(layout.devices.flatMap(index => snapshot.devices[index]?.name ?? []));
		const elements: blessed.Widgets.BlessedElement[] = [];
		const next: Built = {layout, deviceCount: snapshot.devices.length, elements, tiles: [], list: null, log: null, logVersion: -1, listShown: undefined};
		if (layout.mode === 'too-small') {
			const message = blessed.box({...position(layout.body), content: tooSmallText(layout.columns, layout.rows)});
			screen.append(message);
			elements.push(message);
		} else if (layout.mode === 'list') {
			next.list = blessed.box({...position(layout.body), content: ''});
			screen.append(next.list);
			elements.push(next.list);
		} else {
			next.tiles = layout.tiles.map(tile => buildTile(tile, elements));
		}

		if (layout.log && options.stderr) {
			next.log = contribWidgets.log({
				...position(layout.log),
				label: ' stderr across the fleet (newest last) ',
				border: border(),
				style: borderStyle(colors.border),
				bufferLength: Math.max(1, layout.log.height - 2),
			} as contrib.Widgets.LogOptions);
			screen.append(next.log);
			elements.push(next.log);
		}

		built = next;
		// The help stays above whatever was rebuilt.
		help.detach();
		screen.append(help);
	};

	/** One widget failing (odd data, a contrib quirk) must not stop the rest of the wall from updating. */
	const guarded = (update: () => void) => {
		try {
			update();
		} catch {
			// The widget keeps what it showed; the next snapshot tries again.
		}
	};

	const updateTile = (widgets: TileWidgets, device: DeviceSnapshot) => {
		const {parts} = widgets.tile;
		const {memo} = widgets;
		const failing = device.health !== 'online' && device.health !== 'connecting';
		const edge = failing ? 'red' : colors.border;
		const changed = (widget: keyof TileWidgets['memo'], key: string) => {
			if (memo[widget] === key) {
				return false;
			}

			memo[widget] = key;
			return true;
		};

		guarded(() => {
			const text = tileHeader(device, parts.header.width, paint, {compact: widgets.tile.detail === 'compact', alert: alertOf(device)});
			if (changed('header', text)) {
				widgets.header.setContent(text);
			}
		});
		if (widgets.chart && parts.chart) {
			const chart = widgets.chart;
			const rect = parts.chart;
			guarded(() => {
				const model = chartModel(device, rect, paint);
				if (!changed('chart', `${edge}|${model.label}|${model.maxY}|${model.numYLabels}|${model.series.map(series => series.y.join(',')).join('|')}`)) {
					return;
				}

				chart.setLabel(model.label);
				setBorderColor(chart, edge);
				Object.assign(chart.options, {maxY: model.maxY, numYLabels: model.numYLabels});
				if (model.series.length > 0) {
					chart.setData(model.series);
				} else {
					clearCanvas(chart);
				}
			});
		}

		if (widgets.gauge) {
			const gauge = widgets.gauge;
			guarded(() => {
				const model = permGauge(device, paint, parts.gauge?.width, Math.max(1, (parts.gauge?.height ?? 6) - 2));
				if (!changed('gauge', `${edge}|${model.label}|${model.lines.join('\n')}`)) {
					return;
				}

				gauge.setLabel(model.label);
				setBorderColor(gauge, edge);
				// Nothing known is not 0 %: an empty box.
				gauge.setContent(model.lines.join('\n'));
			});
		}

		if (widgets.facts && parts.facts) {
			const facts = widgets.facts;
			const rect = parts.facts;
			guarded(() => {
				const text = factsLines(device, rect, paint).join('\n');
				if (changed('facts', text)) {
					facts.setContent(text);
				}
			});
		}

		guarded(() => {
			const model = serviceTable(device, parts.table, paint, now());
			if (!changed('table', `${edge}|${model.label}|${model.header}|${model.rows.join('\n')}`)) {
				return;
			}

			widgets.table.setLabel(model.label);
			setBorderColor(widgets.table, edge);
			// contrib pads every row to the column width and the list wraps what is longer than itself, so the column is
			// exactly as wide as the widest row (colour sequences do not count).
			widgets.table.options.columnWidth = [Math.max(1, textWidth(model.header), ...model.rows.map(row => textWidth(row)))];
			widgets.table.setData({headers: [model.header], data: model.rows.map(row => [row])});
			unwrapListItems(tableRows(widgets.table));
		});
		widgets.shown = device;
	};

	const setBorderColor = (element: blessed.Widgets.BlessedElement, fg: string) => {
		if (options.color) {
			element.style.border = {...element.style.border, fg};
		}
	};

	const update = () => {
		if (!built) {
			return;
		}

		const {layout} = built;
		const devices = snapshot.devices;
		title.setContent(titleLine({
			devices,
			page: layout.page,
			pageCount: layout.pageCount,
			paused,
			nextPageInMs: layout.pageCount > 1 ? Math.max(0, pageStartedAt + pageMs - now()) : null,
			alerts: options.alerts?.counts(),
		}, layout.columns, paint));
		for (const widgets of built.tiles) {
			const device = devices[widgets.tile.device];
			if (device && device !== widgets.shown) {
				updateTile(widgets, device);
			}
		}

		if (built.list) {
			const shown = layout.devices.map(index => devices[index]).filter((device): device is DeviceSnapshot => device !== undefined);
			const previous = built.listShown;
			if (!previous || previous.length !== shown.length || shown.some((device, index) => device !== previous[index])) {
				const width = layout.body.width;
				built.list.setContent([paint.bold(listHeading(width)), ...shown.map(device => listRow(device, width, paint, undefined, alertOf(device)))].join('\n'));
				built.listShown = shown;
			}
		}

		if (built.log && options.stderr && layout.log && built.logVersion !== options.stderr.version) {
			const lines = options.stderr.entries(layout.log.height - 2);
			const width = layout.log.width - 2;
			// The hostname reads better than host:port, which is what a device given as a URL is called.
			const hostnames = new Map(devices.map(device => [device.name, device.overview?.hostname || device.name]));
			const items = lines.length > 0
				? lines.map(entry => stderrLine({...entry, device: hostnames.get(entry.device) ?? entry.device}, width, paint))
				: [paint.paint('no stderr lines yet', 'muted')];
			built.log.setItems(items as unknown as blessed.Widgets.BlessedElement[]);
			built.log.scrollTo(items.length);
			unwrapListItems(built.log);
			built.logVersion = options.stderr.version;
		}
	};

	const render = () => {
		renderTimer = undefined;
		if (finished) {
			return;
		}

		lastRenderAt = now();
		try {
			update();
			screen.render();
		} catch {
			// A frame that fails to draw is skipped; the next snapshot draws again. The wall must not die on one.
		}
	};

	const requestRender = () => {
		if (renderTimer || finished) {
			return;
		}

		renderTimer = setTimeout(render, Math.max(0, lastRenderAt + minRenderGapMs - now()));
	};

	/** Layout again (page, size or fleet changed); a failure leaves an empty wall that the next change retries. */
	const rebuild = () => {
		try {
			build();
		} catch {
			destroyBuilt();
		}
	};

	const changePage = (delta: number) => {
		page += delta;
		pageStartedAt = now();
		rebuild();
		render();
	};

	try {
		build();
	} catch (error) {
		// The terminal must come back even when the first layout fails.
		screen.destroy();
		throw error;
	}

	render();

	const unsubscribeStore = options.store.subscribe(next => {
		snapshot = next;
		if (!built || next.devices.length !== built.deviceCount) {
			rebuild();
		}

		requestRender();
	});
	const unsubscribeStderr = options.stderr?.subscribe(requestRender);
	// Rotation and the title's countdown.
	const tick = setInterval(() => {
		if (!built || built.layout.pageCount <= 1) {
			return;
		}

		if (!paused && now() - pageStartedAt >= pageMs) {
			changePage(1);
		} else {
			requestRender();
		}
	}, 1000);

	screen.on('resize', () => {
		clearTimeout(resizeTimer);
		resizeTimer = setTimeout(() => {
			rebuild();
			render();
		}, 50);
	});

	await new Promise<void>(resolve => {
		const finish = () => {
			if (finished) {
				return;
			}

			finished = true;
			clearTimeout(renderTimer);
			clearTimeout(resizeTimer);
			clearInterval(tick);
			unsubscribeStore();
			unsubscribeStderr?.();
			options.signal?.removeEventListener('abort', finish);
			screen.destroy();
			resolve();
		};

		const act = (intent: WallIntent) => {
			switch (intent) {
				case 'quit': {
					finish();
					break;
				}

				case 'pause': {
					paused = !paused;
					pageStartedAt = now();
					render();
					break;
				}

				case 'previousPage':
				case 'nextPage': {
					changePage(intent === 'nextPage' ? 1 : -1);
					break;
				}

				case 'help': {
					help.toggle();
					help.setFront();
					render();
					break;
				}

				case 'dismiss': {
					help.hide();
					render();
					break;
				}
			}
		};

		for (const binding of wallKeyNames()) {
			screen.key(binding.names, () => {
				act(binding.intent);
			});
		}

		if (options.signal?.aborted) {
			finish();
		} else {
			options.signal?.addEventListener('abort', finish, {once: true});
		}
	});
}
