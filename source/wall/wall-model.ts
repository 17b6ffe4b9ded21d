// The wall's view model: from a device snapshot, what each widget shows (header, chart series, gauge, service rows,
// list rows, stderr lines, title), as plain strings and numbers. No blessed here: wall-screen.ts draws these.
// Formats, widths, marks and words come from display/, the same as the dashboard's.
import type {DeviceSnapshot, ServiceSnapshot} from '../core/fleet-store.js';
import {fit, runsWidth, textWidth, wrapWords} from '../display/columns.js';
import {clean, failureCause} from '../display/device-text.js';
import {clockTime, percentOf, percentText, shortBytes, shortDuration} from '../display/units.js';
import {fleetCounts, healthLook, lookText, stateLook, type Tone} from '../display/vocabulary.js';
import {borderLabel, canvasColors, escapeTags, paintSegments, type Painter, type Segment} from './wall-paint.js';

export type HealthView = {readonly mark: string; readonly text: string; readonly tone: Tone};

/** online; unreachable since 14:03:07; wrong password; …: the shared vocabulary, with the time it was last seen. */
export function healthView(device: DeviceSnapshot, formatTime: (ms: number) => string = clockTime): HealthView {
	const look = healthLook[device.health];
	const since = device.health === 'unreachable' && device.lastSeen !== null ? ` since ${formatTime(device.lastSeen)}` : '';
	return {mark: look.mark, text: `${look.words}${since}`, tone: look.tone};
}

function permPercent(device: DeviceSnapshot): number | null {
	const perm = device.overview?.perm;
	return perm ? percentOf(perm.used, perm.total) : null;
}

function memoryPercent(device: DeviceSnapshot): number | null {
	return device.memory ? percentOf(device.memory.used, device.memory.total) : null;
}

/** `demo-1 · 127.0.0.1:8080`: the hostname the device reports, and the name it is known by when that differs. */
export function deviceTitle(device: DeviceSnapshot): string {
	const hostname = clean(device.overview?.hostname);
	const name = clean(device.name);
	return hostname && hostname !== name ? `${hostname} · ${name}` : name;
}

/**
 * The tile's first line: who it is on the left, its health on the right (kept whole; the name is cut first). A compact
 * tile adds memory and /perm use before the health when the whole name still fits.
 */
export function tileHeader(
	device: DeviceSnapshot,
	width: number,
	paint: Painter,
	options: {compact?: boolean; formatTime?: (ms: number) => string; alert?: {text: string; tone: Tone}} = {},
): string {
	const health = healthView(device, options.formatTime);
	const title = deviceTitle(device);
	const titleLength = textWidth(title);
	const right: Segment[] = [{text: `${health.mark} ${health.text}`, tone: health.tone}];
	// Prometheus's alert on the device, before its health, as long as the name keeps a few columns.
	if (options.alert && textWidth(options.alert.text) + 2 + runsWidth(right) + Math.min(titleLength, 8) + 1 <= width) {
		right.unshift({text: `${options.alert.text}  `, tone: options.alert.tone});
	}

	if (options.compact && device.overview) {
		const usage: Segment = {text: `mem ${percentText(memoryPercent(device))}  perm ${percentText(permPercent(device))}  `, tone: 'muted'};
		if (titleLength + 1 + runsWidth([usage, ...right]) <= width) {
			right.unshift(usage);
		}
	}

	const rightWidth = Math.min(width, runsWidth(right));
	const leftWidth = Math.max(0, width - rightWidth - 1);
	const left = paintSegments([{text: title, bold: true}], leftWidth, paint);
	const gap = ' '.repeat(Math.max(0, width - rightWidth - Math.min(leftWidth, titleLength)));
	return left + gap + paintSegments(right, rightWidth, paint);
}

export type ChartSeries = {title: string; x: string[]; y: number[]; style: {line: string}};

export type ChartModel = {
	/** Empty when there is nothing to draw yet. */
	readonly series: ChartSeries[];
	readonly maxY: number;
	readonly numYLabels: number;
	readonly label: string;
};

/** The y axis top for percentages: the next of 10, 20, 40, 60, 80, 100 above the highest value (with a little headroom). */
export function niceMaxPercent(highest: number): number {
	const target = Math.max(0, highest) * 1.1;
	for (const step of [10, 20, 40, 60, 80, 100]) {
		if (target <= step) {
			return step;
		}
	}

	return Math.ceil(target / 50) * 50;
}

/** How many y labels: as many as fit two rows apart (at most 5), and only a count that splits the axis into whole steps. */
export function yLabelCount(maxY: number, plotRows: number): number {
	const fit = Math.min(5, Math.max(1, Math.floor(plotRows / 2)));
	for (let count = fit; count > 1; count--) {
		if (Number.isInteger(maxY / count)) {
			return count;
		}
	}

	return 1;
}

/** -1:05 for a sample 65 s before the newest: distinct per second, so the axis never repeats a label. */
function ageLabel(ms: number): string {
	const seconds = Math.round(ms / 1000);
	return seconds === 0 ? 'now' : `-${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * Memory in use (and CPU busy, when the node exporter answers) as percentages over the newest samples that fit the
 * chart's width. CPU starts a poll later than memory (a rate needs two readings): the chart starts where both exist.
 */
export function chartModel(device: DeviceSnapshot, size: {width: number; height: number}, paint: Painter): ChartModel {
	const colors = canvasColors(paint.color);
	const maxPoints = Math.max(2, size.width * 2 - 24);
	const total = device.memory?.total ?? device.overview?.memory?.total ?? null;
	const memory: Array<{time: number; value: number}> = [];
	const history = device.memoryHistory;
	for (let index = 0; index < history.values.length; index++) {
		const percent = percentOf(history.values[index], total);
		if (percent !== null) {
			memory.push({time: history.times[index], value: percent});
		}
	}

	const cpuSeries = device.node && device.node.state !== 'absent' ? device.node.cpuPercent : null;
	const cpuByTime = new Map<number, number>();
	let firstCpu = Number.POSITIVE_INFINITY;
	if (cpuSeries) {
		for (let index = 0; index < cpuSeries.values.length; index++) {
			const value = cpuSeries.values[index];
			if (value !== null && value !== undefined) {
				cpuByTime.set(cpuSeries.times[index], value);
				firstCpu = Math.min(firstCpu, cpuSeries.times[index]);
			}
		}
	}

	const hasCpu = cpuByTime.size > 0;
	let points = hasCpu && memory.length > 0 ? memory.filter(point => point.time >= firstCpu) : memory;
	if (hasCpu && points.length === 0 && memory.length === 0) {
		points = [...cpuByTime.keys()].map(time => ({time, value: Number.NaN}));
	}

	points = points.slice(-maxPoints);
	const series: ChartSeries[] = [];
	let highest = 0;
	if (points.length > 0) {
		const newest = points.at(-1)!.time;
		const x = points.map(point => ageLabel(newest - point.time));
		if (memory.length > 0) {
			const y = points.map(point => point.value);
			highest = Math.max(highest, ...y);
			series.push({title: 'mem', x, y, style: {line: colors.memory}});
		}

		if (hasCpu) {
			let carried = 0;
			const y = points.map(point => {
				carried = cpuByTime.get(point.time) ?? carried;
				return carried;
			});
			highest = Math.max(highest, ...y);
			series.push({title: 'cpu', x, y, style: {line: colors.cpu}});
		}
	}

	const labelParts: Segment[] = [];
	if (memory.length > 0) {
		const latest = memoryPercent(device) ?? memory.at(-1)!.value;
		labelParts.push({text: `mem ${percentText(latest)} ${shortBytes(device.memory?.used)}`, tone: 'accent'});
	}

	if (hasCpu) {
		labelParts.push({text: ' · '}, {text: `cpu ${percentText(cpuSeries?.latest ?? null)}`, tone: 'warn'});
	}

	const label = borderLabel(labelParts.length > 0 ? labelParts : [{text: 'memory: waiting for data'}], size.width, paint);
	// The plot is 11 dots shorter than the canvas (4 dots a row), which the screen makes as tall as the widget.
	const plotRows = Math.max(0, (size.height * 4 - 11) / 4);
	const maxY = niceMaxPercent(highest);
	return {series, maxY, numYLabels: yLabelCount(maxY, plotRows), label};
}

export type GaugeModel = {
	/** used / total × 100, or null when the device has no /perm. */
	readonly percent: number | null;
	/**
	 * The gauge as painted text lines for a box of the gauge's inner size: a track across the whole width (`░`) with
	 * the used part filled in eighths of a cell, and the figure under it, so 9 % reads as 9 % of a visible whole.
	 */
	readonly lines: string[];
	/** What to give blessed-contrib's setPercent, which reads values below 1.001 as fractions. */
	readonly value: number;
	readonly label: string;
	readonly stroke: string;
};

const eighths = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar `width` cells wide: `percent` of it filled (to an eighth of a cell, a non-zero use at least one eighth). */
export function gaugeBar(percent: number, width: number): {filled: string; track: string} {
	const cells = Math.max(0, width);
	const units = Math.min(cells * 8, Math.max(percent > 0 ? 1 : 0, Math.round((Math.min(100, Math.max(0, percent)) / 100) * cells * 8)));
	const full = Math.floor(units / 8);
	const part = eighths[units % 8]!;
	const filled = '█'.repeat(full) + part;
	return {filled, track: '░'.repeat(Math.max(0, cells - full - (part ? 1 : 0)))};
}

export function permGauge(device: DeviceSnapshot, paint: Painter, width = 30, height = 4): GaugeModel {
	const perm = device.overview?.perm ?? null;
	const percent = permPercent(device);
	if (!perm || percent === null) {
		return {percent: null, value: 0, label: device.overview ? ' no /perm ' : ' /perm ', stroke: 'normal', lines: []};
	}

	const clamped = Math.min(100, percent);
	let stroke = 'normal';
	if (paint.color) {
		stroke = clamped >= 90 ? 'red' : (clamped >= 75 ? 'yellow' : 'green');
	}

	// Inside the border: a bar two rows thick (one when the box is short) with a cell of margin, the figure under it.
	const inner = Math.max(1, width - 2);
	const barWidth = Math.max(1, inner - 2);
	const {filled, track} = gaugeBar(clamped, barWidth);
	const tone = clamped >= 90 ? 'bad' : (clamped >= 75 ? 'warn' : 'ok');
	const bar = ` ${paint.paint(filled, tone)}${paint.paint(track, 'muted')}`;
	const figure = ` ${percent < 1 && percent > 0 ? '<1' : Math.round(percent)} % used`;
	const lines = height >= 4 ? ['', bar, bar, figure] : height >= 2 ? [bar, figure] : [bar];
	return {
		percent,
		lines,
		value: clamped < 1.001 ? clamped / 100 : clamped,
		label: [` /perm ${shortBytes(perm.used)} of ${shortBytes(perm.total)} `, ` /perm ${shortBytes(perm.used)}/${shortBytes(perm.total)} `, ' /perm ']
			.find(text => text.length <= width - 5) ?? ' /perm ',
		stroke,
	};
}

/** Short facts under the gauge: model, memory, CPU and load, build. */
export function factsLines(device: DeviceSnapshot, size: {width: number; height: number}, paint: Painter): string[] {
	const overview = device.overview;
	if (!overview) {
		return [];
	}

	const lines: Segment[][] = [];
	if (overview.model) {
		lines.push([{text: clean(overview.model)}]);
	}

	if (device.memory) {
		const long = `mem ${shortBytes(device.memory.used)} of ${shortBytes(device.memory.total)}`;
		lines.push([{text: long.length <= size.width ? long : `mem ${shortBytes(device.memory.used)}/${shortBytes(device.memory.total)}`, tone: 'muted'}]);
	}

	const node = device.node;
	if (node?.state === 'present' && node.load1.latest !== null) {
		lines.push([{text: `${node.cpuCount} cpu · load ${node.load1.latest.toFixed(2)}`, tone: 'muted'}]);
	}

	if (overview.buildTimestamp) {
		lines.push([{text: `build ${clean(overview.buildTimestamp).slice(0, 10)}`, tone: 'muted'}]);
	}

	if (overview.kernel) {
		lines.push([{text: clean(overview.kernel), tone: 'muted'}]);
	}

	return lines.slice(0, Math.max(0, size.height)).map(segments => paintSegments(segments, size.width, paint));
}

/** The state cell: the shared mark and words; a crash loop says how many restarts made it one. */
function stateText(service: ServiceSnapshot): string {
	const look = stateLook[service.state];
	return service.state === 'crash-looping' ? `${look.mark} crash-loop ×${service.restartsInWindow}` : lookText(look);
}

/** Trouble first (crash loops, restarts), then the user's own services, then the system's; the device's order within. */
export function orderServices(services: readonly ServiceSnapshot[]): ServiceSnapshot[] {
	const rank = (service: ServiceSnapshot) => {
		if (service.state === 'crash-looping') {
			return 0;
		}

		if (service.state === 'restarting') {
			return 1;
		}

		return service.path.startsWith('/user/') ? 2 : 3;
	};

	return services
		.map((service, index) => ({service, index}))
		.sort((a, b) => rank(a.service) - rank(b.service) || a.index - b.index)
		.map(({service}) => service);
}

export type TableModel = {
	/** The heading row (box content: not tag-parsed). */
	readonly header: string;
	/** One string per row, fitted to the width; device text escaped for blessed tags. */
	readonly rows: string[];
	readonly label: string;
};

type Column = {title: string; width: number; align: 'left' | 'right'; cell: (service: ServiceSnapshot) => string};

/** The service table of a tile of `size` (outer size: borders included). */
export function serviceTable(device: DeviceSnapshot, size: {width: number; height: number}, paint: Painter, now: number = Date.now()): TableModel {
	// blessed-contrib puts the rows one column in from the border and keeps two rows for the heading.
	const inner = Math.max(1, size.width - 3);
	const maxRows = Math.max(0, size.height - 4);
	const optional: Column[] = [
		{
			title: 'UP', width: 6, align: 'right', cell: service => (service.state === 'stopped' || !service.status.startTime
				? '–'
				: shortDuration(now - service.status.startTime.getTime())),
		},
		{title: 'RSS', width: 5, align: 'right', cell: service => shortBytes(service.rss)},
		{title: 'PID', width: 7, align: 'right', cell: service => (service.status.pid > 0 ? String(service.status.pid) : '–')},
	];
	const stateWidth = 15;
	const columns: Column[] = [];
	let used = stateWidth + 1;
	for (const column of optional) {
		if (inner - used - (column.width + 1) >= 10) {
			columns.push(column);
			used += column.width + 1;
		}
	}

	const nameWidth = Math.max(1, inner - used);
	const rowFor = (service: ServiceSnapshot) => {
		const name = escapeTags(fit(clean(service.name), nameWidth));
		const state = paint.paint(fit(stateText(service), stateWidth), stateLook[service.state].tone);
		const rest = columns.map(column => ` ${fit(column.cell(service), column.width, column.align)}`).join('');
		return `${name} ${state}${rest}`;
	};

	const header = ` ${fit('SERVICE', nameWidth)} ${fit('STATE', stateWidth)}${columns.map(column => ` ${fit(column.title, column.width, column.align)}`).join('')}`;
	const rows: string[] = [];
	const cause = device.health === 'online' ? null : failureCause(device);
	if (cause !== null && maxRows > 0) {
		// With no services to show, the cause may take a few rows.
		const causeRows = device.services.length === 0 ? Math.min(3, maxRows) : 1;
		for (const line of wrapWords(`✗ ${cause}`, inner, causeRows)) {
			rows.push(paint.paint(escapeTags(fit(line, inner)), 'bad'));
		}
	}

	const ordered = orderServices(device.services);
	const room = maxRows - rows.length;
	const shown = ordered.length > room ? Math.max(0, room - 1) : ordered.length;
	for (const service of ordered.slice(0, shown)) {
		rows.push(rowFor(service));
	}

	if (shown < ordered.length && room > 0) {
		const hidden = ordered.slice(shown);
		const running = hidden.filter(service => service.state === 'running').length;
		rows.push(paint.paint(fit(`… ${hidden.length} more (${running} running)`, inner), 'muted'));
	}

	return {header, rows, label: serviceLabel(device, size.width, paint)};
}

function serviceLabel(device: DeviceSnapshot, width: number, paint: Painter): string {
	if (!device.overview) {
		return borderLabel([{text: 'services'}], width, paint);
	}

	const {running, stopped, restarting, crashLooping} = device.counts;
	const parts: Segment[] = [{text: device.stale ? 'last known: ' : 'services: '}, {text: `${running} running`, tone: 'ok'}];
	if (stopped > 0) {
		parts.push({text: ` · ${stopped} stopped`});
	}

	if (restarting > 0) {
		parts.push({text: ' · '}, {text: `${restarting} restarting`, tone: 'warn'});
	}

	if (crashLooping > 0) {
		parts.push({text: ' · '}, {text: `${crashLooping} crash-looping`, tone: 'bad'});
	}


	return borderLabel(parts, width, paint);
}

/** The list mode's columns: the name gets what the rest leaves (8 to 24), health the whole "unreachable since" when wide. */
function listColumns(width: number): {name: number; health: number} {
	const health = width >= 100 ? 28 : 16;
	return {name: Math.max(8, Math.min(24, width - health - 54)), health};
}

/** The list mode's heading. */
export function listHeading(width: number): string {
	const columns = listColumns(width);
	return fit(`${fit('DEVICE', columns.name)}  ${fit('HEALTH', columns.health)}  ${fit('MEM', 4, 'right')}  ${fit('PERM', 4, 'right')}  SERVICES`, width);
}

/** One line per device when tiles do not fit. */
export function listRow(device: DeviceSnapshot, width: number, paint: Painter, formatTime?: (ms: number) => string, alert?: {text: string; tone: Tone}): string {
	const columns = listColumns(width);
	const health = healthView(device, formatTime);
	const {running, stopped, restarting, crashLooping} = device.counts;
	const services: Segment[] = device.overview
		? [
			{text: `${running} running`, tone: 'ok'},
			...(stopped > 0 ? [{text: ` · ${stopped} stopped`}] : []),
			...(restarting > 0 ? [{text: ` · ${restarting} restarting`, tone: 'warn' as const}] : []),
			...(crashLooping > 0 ? [{text: ` · ${crashLooping} crash-looping`, tone: 'bad' as const}] : []),
		]
		: [];
	return paintSegments([
		{text: `${fit(deviceTitle(device), columns.name)}  `, bold: true},
		{text: fit(`${health.mark} ${health.text}`, columns.health), tone: health.tone},
		{text: `  ${fit(percentText(memoryPercent(device)), 4, 'right')}  ${fit(percentText(permPercent(device)), 4, 'right')}  `},
		...(alert ? [{text: `${alert.text}  `, tone: alert.tone}] : []),
		...services,
	], width, paint);
}

export type FleetLine = {
	readonly device: string;
	readonly service: string;
	readonly kind: 'line' | 'gap';
	readonly text: string;
};

/** A stderr pane line: `device/service  text`, the prefix coloured, the text printable. */
export function stderrLine(entry: FleetLine, width: number, paint: Painter): string {
	return paintSegments([
		{text: `${clean(entry.device)}/${clean(entry.service)}  `, tone: 'accent'},
		entry.kind === 'gap' ? {text: `[${clean(entry.text)}]`, tone: 'muted'} : {text: clean(entry.text)},
	], width, paint);
}

export type TitleInput = {
	readonly devices: readonly DeviceSnapshot[];
	readonly page: number;
	readonly pageCount: number;
	readonly paused: boolean;
	/** ms until the next page, when rotating. */
	readonly nextPageInMs: number | null;
	/** Prometheus's alerts over the fleet (with --prometheus, once read). */
	readonly alerts?: {firing: number; pending: number} | null;
};

/** The top line: the fleet in one glance, the page, and the keys. */
export function titleLine(input: TitleInput, width: number, paint: Painter): string {
	const counts = fleetCounts(input.devices);
	const segments: Segment[] = [
		{text: ' krazy-tui wall  ', bold: true},
		{text: `${input.devices.length} device${input.devices.length === 1 ? '' : 's'}: `},
		{text: `${counts.online} online`, tone: 'ok'},
	];
	if (counts.failing > 0) {
		segments.push({text: ` · ${counts.failing} failing`, tone: 'bad'});
	}

	if (counts.connecting > 0) {
		segments.push({text: ` · ${counts.connecting} connecting`, tone: 'muted'});
	}

	if (counts.crashLooping > 0) {
		segments.push({text: ` · ${counts.crashLooping} crash-looping`, tone: 'bad'});
	}

	if (input.alerts) {
		const {firing, pending} = input.alerts;
		segments.push(firing > 0 || pending > 0
			? {text: ` · ⚑ ${firing} alert${firing === 1 ? '' : 's'} firing${pending > 0 ? `, ${pending} pending` : ''}`, tone: firing > 0 ? 'bad' : 'warn'}
			: {text: ' · no alerts', tone: 'muted'});
	}

	if (input.pageCount > 1) {
		let rotation = ' · paused';
		if (!input.paused) {
			rotation = input.nextPageInMs === null ? '' : ` · next in ${Math.max(1, Math.ceil(input.nextPageInMs / 1000))} s`;
		}

		segments.push({text: `   page ${input.page + 1}/${input.pageCount}${rotation}`});
	}

	segments.push({text: '   ? keys  q quit', tone: 'muted'});
	return paintSegments(segments, width, paint);
}

export function tooSmallText(columns: number, rows: number): string {
	return `terminal too small for the wall (${columns}×${rows}); make it larger, or use krazy-tui status`;
}
