// What each wall widget shows, from a device snapshot: chart series, gauge value, table rows, lines (no blessed here).
import type {DeviceSnapshot, ServiceSnapshot} from '../core/fleet-store.js';
import {sanitizeForTerminal} from '../core/sanitize-terminal.js';
import {expandTabs, fit, shortBytes, shortDuration} from '../ui/display-format.js';

export type Tone = 'ok' | 'bad' | 'warn' | 'muted' | 'accent';

/** Colours as SGR sequences (blessed parses them in any content); with colour off, text passes unchanged. */
export type Painter = {
	readonly color: boolean;
	paint(text: string, tone: Tone): string;
	bold(text: string): string;
};

// Muted is a 256-colour grey: blessed turns the bright-black SGR 90 into plain black, invisible on a dark terminal.
const sgr: Readonly<Record<Tone, string>> = {ok: '32', bad: '31', warn: '33', muted: '38;5;245', accent: '36'};

export function painter(color: boolean): Painter {
	return {
		color,
		paint: (text, tone) => (color && text !== '' ? `\u001b[${sgr[tone]}m${text}\u001b[39m` : text),
		// Bold is emphasis, not colour: NO_COLOR keeps it.
		bold: text => (text === '' ? text : `\u001b[1m${text}\u001b[22m`),
	};
}

/** NO_COLOR (any non-empty value, per no-color.org) or the mono theme turns every colour off. */
export function colorEnabled(env: NodeJS.ProcessEnv, theme?: string): boolean {
	return !((env.NO_COLOR !== undefined && env.NO_COLOR !== '') || theme === 'mono');
}

/** Colours the canvas widgets (chart, gauge) take; `normal` is the terminal's own. */
export type CanvasColors = {memory: string; cpu: string; text: string; baseline: string; border: string};

export function canvasColors(color: boolean): CanvasColors {
	return color
		? {memory: 'cyan', cpu: 'yellow', text: 'normal', baseline: 'normal', border: 'cyan'}
		: {memory: 'normal', cpu: 'normal', text: 'normal', baseline: 'normal', border: 'normal'};
}

/** Device text made printable: no control sequences, tabs expanded, one line. */
export function clean(text: string | null | undefined): string {
	return expandTabs(sanitizeForTerminal(text ?? '')).replaceAll('\n', ' ');
}

/** The contrib table's rows are parsed for blessed tags: device text must not be able to open one. */
export function escapeTags(text: string): string {
	return text.replace(/[{}]/g, char => (char === '{' ? '{open}' : '{close}'));
}

export type Segment = {readonly text: string; readonly tone?: Tone; readonly bold?: boolean};

/** Segments cut together to `width` columns (an ellipsis where cut), then painted. */
export function paintSegments(segments: readonly Segment[], width: number, paint: Painter): string {
	let room = width;
	let out = '';
	for (const segment of segments) {
		if (room <= 0) {
			break;
		}

		const length = [...segment.text].length;
		const text = length > room ? fit(segment.text, room) : segment.text;
		room -= Math.min(length, room);
		const toned = segment.tone ? paint.paint(text, segment.tone) : text;
		out += segment.bold ? paint.bold(toned) : toned;
	}

	return out;
}

/**
 * A label on a widget's top border, a space either side. blessed puts it two columns in and wraps (over the widget's
 * first row) what does not fit before the corner, so it is cut to leave the corner and one line character free.
 */
export function borderLabel(segments: readonly Segment[], widgetWidth: number, paint: Painter): string {
	return ` ${paintSegments(segments, Math.max(1, widgetWidth - 7), paint)} `;
}

function visibleLength(segments: readonly Segment[]): number {
	return segments.reduce((sum, segment) => sum + [...segment.text].length, 0);
}

/** Words into at most `maxLines` lines of `width`; what does not fit ends the last line with an ellipsis. */
export function wrapWords(text: string, width: number, maxLines: number): string[] {
	const cut = (line: string) => ([...line].length > width ? fit(line, width) : line);
	const lines: string[] = [];
	let current = '';
	const words = text.split(' ');
	for (const [index, word] of words.entries()) {
		const candidate = current === '' ? word : `${current} ${word}`;
		if ([...candidate].length <= width || current === '') {
			current = candidate;
			continue;
		}

		if (lines.length >= maxLines - 1) {
			lines.push(cut(`${current} ${words.slice(index).join(' ')}`));
			return lines;
		}

		lines.push(cut(current));
		current = word;
	}

	lines.push(cut(current));
	return lines.slice(0, Math.max(1, maxLines));
}

/** 14:03:07 on the local clock. */
export function clockTime(ms: number): string {
	const date = new Date(ms);
	return [date.getHours(), date.getMinutes(), date.getSeconds()].map(part => String(part).padStart(2, '0')).join(':');
}

export type HealthView = {readonly mark: string; readonly text: string; readonly tone: Tone};

/** online; unreachable since 14:03:07; wrong password; …: the mark and words carry it without colour too. */
export function healthView(device: DeviceSnapshot, formatTime: (ms: number) => string = clockTime): HealthView {
	switch (device.health) {
		case 'online': {
			return {mark: '●', text: 'online', tone: 'ok'};
		}

		case 'connecting': {
			return {mark: '…', text: 'connecting', tone: 'muted'};
		}

		case 'unreachable': {
			return {mark: '✗', text: device.lastSeen === null ? 'unreachable' : `unreachable since ${formatTime(device.lastSeen)}`, tone: 'bad'};
		}

		default: {
			return {mark: '✗', text: device.healthText, tone: 'bad'};
		}
	}
}

/** The device's own words for a failure, without the leading "name: ". */
export function failureCause(device: DeviceSnapshot): string | null {
	if (device.error === null) {
		return null;
	}

	// The message names the device as its target is called; the fleet may have suffixed that name (casa#2).
	const prefix = [`${device.name}: `, `${device.target.name}: `].find(candidate => device.error?.startsWith(candidate));
	return clean(prefix ? device.error.slice(prefix.length) : device.error);
}

function percentOf(part: number | null | undefined, whole: number | null | undefined): number | null {
	if (part === null || part === undefined || !whole || whole <= 0 || !Number.isFinite(part)) {
		return null;
	}

	return Math.max(0, (part / whole) * 100);
}

function percentText(percent: number | null): string {
	if (percent === null) {
		return '–';
	}

	return percent > 0 && percent < 1 ? '<1%' : `${Math.round(percent)}%`;
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
	options: {compact?: boolean; formatTime?: (ms: number) => string} = {},
): string {
	const health = healthView(device, options.formatTime);
	const title = deviceTitle(device);
	const titleLength = [...title].length;
	const right: Segment[] = [{text: `${health.mark} ${health.text}`, tone: health.tone}];
	if (options.compact && device.overview) {
		const usage: Segment = {text: `mem ${percentText(memoryPercent(device))}  perm ${percentText(permPercent(device))}  `, tone: 'muted'};
		if (titleLength + 1 + visibleLength([usage, ...right]) <= width) {
			right.unshift(usage);
		}
	}

	const rightWidth = Math.min(width, visibleLength(right));
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
	/** What to give blessed-contrib's setPercent, which reads values below 1.001 as fractions. */
	readonly value: number;
	readonly label: string;
	readonly stroke: string;
};

export function permGauge(device: DeviceSnapshot, paint: Painter, width = 30): GaugeModel {
	const perm = device.overview?.perm ?? null;
	const percent = permPercent(device);
	if (!perm || percent === null) {
		return {percent: null, value: 0, label: device.overview ? ' no /perm ' : ' /perm ', stroke: 'normal'};
	}

	const clamped = Math.min(100, percent);
	let stroke = 'normal';
	if (paint.color) {
		stroke = clamped >= 90 ? 'red' : (clamped >= 75 ? 'yellow' : 'green');
	}

	return {
		percent,
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

const stateTone: Readonly<Record<ServiceSnapshot['state'], Tone>> = {
	running: 'ok',
	stopped: 'muted',
	restarting: 'warn',
	'crash-looping': 'bad',
};

function stateText(service: ServiceSnapshot): string {
	return service.state === 'crash-looping' ? `crash-loop ×${service.restartsInWindow}` : service.state;
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
	const stateWidth = 13;
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
		const state = paint.paint(fit(stateText(service), stateWidth), stateTone[service.state]);
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
export function listRow(device: DeviceSnapshot, width: number, paint: Painter, formatTime?: (ms: number) => string): string {
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

export type FleetCounts = {readonly online: number; readonly failing: number; readonly connecting: number; readonly crashLooping: number};

export function fleetCounts(devices: readonly DeviceSnapshot[]): FleetCounts {
	let online = 0;
	let failing = 0;
	let connecting = 0;
	let crashLooping = 0;
	for (const device of devices) {
		if (device.health === 'online') {
			online++;
		} else if (device.health === 'connecting') {
			connecting++;
		} else {
			failing++;
		}

		crashLooping += device.counts.crashLooping;
	}

	return {online, failing, connecting, crashLooping};
}

export type TitleInput = {
	readonly devices: readonly DeviceSnapshot[];
	readonly page: number;
	readonly pageCount: number;
	readonly paused: boolean;
	/** ms until the next page, when rotating. */
	readonly nextPageInMs: number | null;
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
