// The selected device's graphs: memory (JSON), the selected service's RSS (HTML), CPU, load and network (node_exporter).
import React from 'react';
import {Box} from 'ink';
import type {DeviceSnapshot, ServiceSnapshot} from '../../core/fleet-store.js';
import type {MetricSeries, MetricSource} from '../../core/metric-ring.js';
import {fit, rule} from '../../display/columns.js';
import {bytesPerSecond, longBytes} from '../../display/units.js';
import {clean} from '../../display/device-text.js';
import {ownRange, tallSparkline, timeColumns} from '../../display/sparkline.js';
import {usePalette} from '../theme.js';
import {Line} from './line.js';
import {headroom} from './service-table.js';

export function sourceLabel(source: MetricSource, nodeUrl?: string): string {
	switch (source) {
		case 'gokrazy-json': {
			return 'from gokrazy / (JSON)';
		}

		case 'gokrazy-html': {
			return 'from gokrazy / (HTML)';
		}

		case 'node-exporter': {
			if (nodeUrl) {
				try {
					return `from node_exporter :${new URL(nodeUrl).port || '80'}`;
				} catch {
					return 'from node_exporter';
				}
			}

			return 'from node_exporter';
		}
	}
}

/**
 * One graph: its figures, and how it is scaled. `zero`: from 0 to `max` (CPU to 100 %, network to its peak);
 * `range`: the figure's own range in the window (memory, a service's RSS), a constant drawn flat in the middle.
 */
type GraphLine = {
	label: string;
	series: MetricSeries | null;
	value: string;
	source: string;
	scale: {kind: 'zero'; max?: number} | {kind: 'range'};
	/** How a scale value reads (`412.0 MiB`, `100 %`). */
	format: (value: number) => string;
};

function graphLines(device: DeviceSnapshot, service: ServiceSnapshot | undefined): GraphLine[] {
	const lines: GraphLine[] = [];
	const memory = device.memory;
	const percent = memory && memory.total > 0 ? ` (${Math.round((memory.used / memory.total) * 100)} %)` : '';
	lines.push({
		label: 'mem',
		series: device.memoryHistory,
		value: memory ? `${longBytes(memory.used)} of ${longBytes(memory.total)} used${percent}` : 'unknown (the device did not say)',
		source: sourceLabel('gokrazy-json'),
		scale: {kind: 'range'},
		format: longBytes,
	});
	if (service) {
		lines.push({
			label: 'rss',
			series: service.rssHistory,
			value: `${clean(service.name)} ${service.rss === null ? (device.htmlError ? 'unknown' : 'not running') : longBytes(service.rss)}`,
			source: device.htmlError ? `HTML overview failed: ${clean(device.htmlError)}` : sourceLabel('gokrazy-html'),
			scale: {kind: 'range'},
			format: longBytes,
		});
	}

	const node = device.node;
	if (node && (node.state === 'present' || node.state === 'failing')) {
		const cpu = node.cpuPercent.latest;
		lines.push({
			label: 'cpu',
			series: node.cpuPercent,
			value: `${cpu === null ? '-' : `${cpu.toFixed(0)} %`} of ${node.cpuCount || '?'} cpu · load ${node.load1.latest?.toFixed(2) ?? '-'}`,
			source: node.state === 'failing' ? `node_exporter not answering: ${clean(node.error)}` : sourceLabel('node-exporter', node.url),
			scale: {kind: 'zero', max: 100},
			format: value => `${Math.round(value)} %`,
		}, {
			label: 'net',
			series: node.rxBytesPerSecond,
			value: `rx ${bytesPerSecond(node.rxBytesPerSecond.latest)} · tx ${bytesPerSecond(node.txBytesPerSecond.latest)}`,
			source: sourceLabel('node-exporter', node.url),
			scale: {kind: 'zero', max: headroom(node.rxBytesPerSecond.values)},
			format: bytesPerSecond,
		});
	} else {
		const why = node === null
			? 'not looked for'
			: node.state === 'unknown' ? 'looking for node_exporter…' : `no node_exporter at ${node.url}`;
		lines.push({
			label: 'cpu',
			series: null,
			value: 'cpu, load, network: unknown',
			source: node === null ? why : `${why} (gok add github.com/prometheus/node_exporter)`,
			scale: {kind: 'zero'},
			format: String,
		});
	}

	return lines;
}

/** Rows of one graph's chart at most, however tall the terminal (btop's graphs grow the same way). */
export const maxChartRows = 16;
/** Columns of the scale left of a tall chart (`412.0 MiB ┤`). */
const axisWidth = 11;

type Chart = {rows: string[]; low: string; high: string};

/** The chart of one graph: the window's samples by time over `width` columns, scaled as the graph says. */
export function graphChart(line: GraphLine, options: {width: number; height: number; windowMs: number; now: number}): Chart {
	const {width, height} = options;
	if (!line.series) {
		return {rows: Array.from({length: height}, (_, index) => (index === height - 1 ? '·'.repeat(width) : ' '.repeat(width))), low: '', high: ''};
	}

	const columns = timeColumns(line.series.values, line.series.times, {width, windowMs: options.windowMs, now: options.now});
	let min: number;
	let max: number | undefined;
	let low: string;
	let high: string;
	if (line.scale.kind === 'range') {
		const range = ownRange(columns);
		min = range?.min ?? 0;
		max = range?.max;
		low = range ? line.format(range.low) : '';
		high = range ? line.format(range.high) : '';
	} else {
		min = 0;
		max = line.scale.max ?? Math.max(0, ...columns.filter((value): value is number => value !== null));
		low = line.format(0);
		high = max > 0 ? line.format(max) : '';
	}

	return {rows: tallSparkline(columns, {width, height, min, max, empty: '·'}), low, high};
}

export function GraphsPane({device, service, rows, width, historyMinutes, now}: {
	device: DeviceSnapshot | undefined;
	service: ServiceSnapshot | undefined;
	rows: number;
	width: number;
	historyMinutes: number;
	/** The right edge of the charts (default: the time of drawing). */
	now?: number;
}) {
	const palette = usePalette();
	if (rows <= 0) {
		return null;
	}

	if (!device) {
		return (
			<Box flexDirection="column" width={width} height={rows}>
				<Line segments={[{text: rule('Graphs', width), color: palette.title}]} />
			</Box>
		);
	}

	const windowMs = historyMinutes * 60_000;
	const at = now ?? Date.now();
	const title = `Graphs · ${clean(device.overview?.hostname) || device.name} · last ${historyMinutes} min${device.stale ? ' · paused while offline' : ''}`;
	const lines = graphLines(device, service).slice(0, rows - 1);
	const charted = lines.filter(line => line.series).length;
	const chartHeight = Math.min(maxChartRows, Math.floor((rows - 1 - lines.length) / Math.max(1, charted)));
	const output: React.ReactNode[] = [];
	if (chartHeight >= 2) {
		// Tall: the figures on a line of their own, then a chart across the width with its scale on the left (a graph
		// without figures, like cpu without node_exporter, is its line alone).
		const chartWidth = Math.max(8, width - axisWidth);
		for (const line of lines) {
			output.push(<Line
				key={`${line.label}-head`}
				segments={[
					{text: `${line.label} `, bold: true},
					{text: line.value},
					{text: `  ${line.source}`, color: palette.muted, dim: !palette.color},
				]}
			/>);
			if (!line.series) {
				continue;
			}

			const chart = graphChart(line, {width: chartWidth, height: chartHeight, windowMs, now: at});
			chart.rows.forEach((chartRow, index) => {
				const axis = index === 0 ? chart.high : index === chart.rows.length - 1 ? chart.low : '';
				output.push(<Line
					key={`${line.label}-${index}`}
					segments={[
						{text: `${axis.padStart(axisWidth - 2)} ${index === 0 || index === chart.rows.length - 1 ? '┤' : '│'}`, color: palette.muted},
						{text: chartRow, color: palette.accent},
					]}
				/>);
			});
		}
	} else {
		// Short: one or two rows a graph, the figures and the scale beside the chart.
		const height = Math.max(1, Math.min(2, Math.floor((rows - 1) / Math.max(1, lines.length))));
		const chartWidth = Math.max(8, Math.floor((width - 5) * 0.45));
		const textWidth = Math.max(0, width - 5 - chartWidth - 1);
		for (const line of lines) {
			const chart = graphChart(line, {width: chartWidth, height, windowMs, now: at});
			const scale = chart.high ? `${chart.low}–${chart.high}` : '';
			chart.rows.forEach((chartRow, index) => {
				const head = index === 0;
				const text = head
					? [{text: fit(line.value, textWidth)}]
					: [{text: fit(scale ? `scale ${scale} · ${line.source}` : line.source, textWidth), color: palette.muted, dim: !palette.color}];
				const tail = head && height === 1
					? [{text: ` ${scale ? `[${scale}] ` : ''}${line.source}`, color: palette.muted, dim: !palette.color}]
					: [];
				output.push(<Line
					key={`${line.label}-${index}`}
					segments={[
						{text: fit(head ? line.label : '', 5), bold: true},
						{text: `${chartRow} `, color: line.series ? palette.accent : palette.muted},
						...(height === 1 ? [{text: line.value}] : text),
						...tail,
					]}
				/>);
			});
		}
	}

	return (
		<Box flexDirection="column" width={width} height={rows}>
			<Line segments={[{text: rule(title, width), color: palette.title}]} />
			{output}
		</Box>
	);
}
