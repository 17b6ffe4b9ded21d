// The history view as lines: one sparkline per figure over the chosen window, read from Prometheus, with its latest
// value, its peak and where it came from; problems (a query that failed, partial data) said, never hidden.
import {historyStepMs, type HistorySeries} from '../../core/prometheus/history.js';
import {cell, rule} from '../../display/columns.js';
import {clean} from '../../display/device-text.js';
import {sparkline} from '../../display/sparkline.js';
import {bytesPerSecond, shortBytes} from '../../display/units.js';
import type {Segment} from '../components/line.js';
import type {Palette} from '../theme.js';
import {windowText, type PrometheusLinkState} from './prometheus-link.js';

/** `width` points from many: the largest of each bucket (a peak must not vanish in a wide window). */
export function downsample(values: ReadonlyArray<number | null>, width: number): Array<number | null> {
	if (values.length <= width) {
		return [...values];
	}

	const out: Array<number | null> = [];
	for (let index = 0; index < width; index++) {
		const from = Math.floor((index * values.length) / width);
		const to = Math.max(from + 1, Math.floor(((index + 1) * values.length) / width));
		let peak: number | null = null;
		for (const value of values.slice(from, to)) {
			if (value !== null && Number.isFinite(value) && (peak === null || value > peak)) {
				peak = value;
			}
		}

		out.push(peak);
	}

	return out;
}

function valueText(series: HistorySeries, value: number | null): string {
	if (value === null) {
		return '-';
	}

	switch (series.unit) {
		case 'bytes':
			return shortBytes(value);
		case 'bytes-per-second':
			return bytesPerSecond(value);
		case 'percent':
			return `${value.toFixed(0)}%`;
		case 'load':
			return value.toFixed(2);
	}
}

function stepText(ms: number): string {
	return ms >= 3_600_000 ? `${Math.round(ms / 360_000) / 10} h` : ms >= 60_000 ? `${Math.round(ms / 6000) / 10} min` : `${Math.round(ms / 1000)} s`;
}

function seriesLine(label: string, series: HistorySeries | null, width: number, palette: Palette): Segment[] {
	const labelWidth = 22;
	const figures = 26;
	const graphWidth = Math.max(4, width - labelWidth - figures);
	if (!series) {
		return [{text: cell(label, labelWidth), dim: true}, {text: 'not in Prometheus (no exporter or node exporter series)', dim: true}];
	}

	const numbers = series.values.filter((value): value is number => value !== null);
	const peak = numbers.length > 0 ? Math.max(...numbers) : null;
	return [
		{text: cell(label, labelWidth)},
		{text: sparkline(downsample(series.values, graphWidth), {width: graphWidth, min: 0, max: series.unit === 'percent' ? 100 : undefined, empty: '·'}), color: palette.accent},
		{text: ` now ${valueText(series, series.latest)}`.padEnd(13)},
		{text: `peak ${valueText(series, peak)}`, dim: true},
	];
}

/** Every line of the history view, at most `rows`. */
export function historyLines(state: PrometheusLinkState, options: {width: number; rows: number; palette: Palette}): Segment[][] {
	const {width, rows, palette} = options;
	const history = state.history;
	if (!history) {
		return [];
	}

	const step = ` · one point per ${stepText(history.data?.memoryUsed?.stepMs ?? history.data?.cpuPercent?.stepMs ?? historyStepMs(history.window))}`;
	const lines: Segment[][] = [
		[{text: rule(`History · ${clean(history.device)} · ${windowText(history.window)}`, width), bold: true}],
		[{text: `from Prometheus ${state.server}${step}${history.loading ? ' · reading…' : ''}`, color: palette.muted}],
	];
	if (history.error) {
		lines.push([{text: clean(history.error), color: palette.bad, bold: true}], [{text: 'the rows and the 5-minute graphs still come from the devices themselves', dim: true}]);
		return lines.slice(0, rows);
	}

	const data = history.data;
	if (!data) {
		return lines.slice(0, rows);
	}

	const problemLines = [...new Set(data.problems)].map(problem => [{text: clean(problem), color: palette.warn}]);
	const nothing = !data.memoryUsed && !data.cpuPercent && !data.rxBytesPerSecond && !data.txBytesPerSecond && data.serviceRss.size === 0;
	if (nothing && problemLines.length > 0) {
		// Every query that could run failed: say so, not four empty graphs.
		lines.push(...problemLines.map(line => line.map(segment => ({...segment, color: palette.bad, bold: true}))), [{text: 'the rows and the 5-minute graphs still come from the devices themselves', dim: true}]);
		return lines.slice(0, rows);
	}

	lines.push(
		seriesLine('memory used', data.memoryUsed, width, palette),
		seriesLine('cpu', data.cpuPercent, width, palette),
		seriesLine('network in', data.rxBytesPerSecond, width, palette),
		seriesLine('network out', data.txBytesPerSecond, width, palette),
	);
	const services = [...data.serviceRss.entries()].sort((a, b) => (b[1].latest ?? 0) - (a[1].latest ?? 0));
	const problems = problemLines;
	const room = Math.max(0, rows - lines.length - problems.length - 1);
	if (services.length > 0 && room > 0) {
		lines.push([{text: 'RSS by service', bold: true}]);
		const shown = services.slice(0, room - (services.length > room ? 1 : 0));
		for (const [path, series] of shown) {
			lines.push(seriesLine(`  ${clean(path)}`, series, width, palette));
		}

		if (shown.length < services.length) {
			lines.push([{text: `  … and ${services.length - shown.length} more services`, dim: true}]);
		}
	}

	lines.push(...problems);
	return lines.slice(0, rows);
}
