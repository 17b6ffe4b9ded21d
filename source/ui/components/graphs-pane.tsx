// The selected device's graphs: memory (JSON), the selected service's RSS (HTML), CPU, load and network (node_exporter).
import React from 'react';
import {Box} from 'ink';
import type {DeviceSnapshot, ServiceSnapshot} from '../../core/fleet-store.js';
import type {MetricSeries, MetricSource} from '../../core/metric-ring.js';
import {fit, rule} from '../../display/columns.js';
import {bytesPerSecond, longBytes} from '../../display/units.js';
import {clean} from '../../display/device-text.js';
import {tallSparkline} from '../../display/sparkline.js';
import {usePalette} from '../theme.js';
import {Line, type Segment} from './line.js';
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

type GraphLine = {label: string; series: MetricSeries | null; value: string; source: string; max?: number; note?: string};

function graphLines(device: DeviceSnapshot, service: ServiceSnapshot | undefined): GraphLine[] {
	const lines: GraphLine[] = [];
	const memory = device.memory;
	lines.push({
		label: 'mem',
		series: device.memoryHistory,
		value: memory ? `${longBytes(memory.used)} of ${longBytes(memory.total)}` : 'unknown (the device did not say)',
		source: sourceLabel('gokrazy-json'),
		max: memory?.total,
	});
	if (service) {
		lines.push({
			label: 'rss',
			series: service.rssHistory,
			value: `${clean(service.name)} ${service.rss === null ? (device.htmlError ? 'unknown' : 'not running') : longBytes(service.rss)}`,
			source: device.htmlError ? `HTML overview failed: ${clean(device.htmlError)}` : sourceLabel('gokrazy-html'),
			max: headroom(service.rssHistory.values),
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
			max: 100,
		}, {
			label: 'net',
			series: node.rxBytesPerSecond,
			value: `rx ${bytesPerSecond(node.rxBytesPerSecond.latest)} · tx ${bytesPerSecond(node.txBytesPerSecond.latest)}`,
			source: sourceLabel('node-exporter', node.url),
			max: headroom(node.rxBytesPerSecond.values),
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
		});
	}

	return lines;
}

export function GraphsPane({device, service, rows, width, historyMinutes}: {
	device: DeviceSnapshot | undefined;
	service: ServiceSnapshot | undefined;
	rows: number;
	width: number;
	historyMinutes: number;
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

	const sparkWidth = Math.max(8, Math.min(40, Math.floor(width * 0.3)));
	const title = `Graphs · ${clean(device.overview?.hostname) || device.name} · last ${historyMinutes} min${device.stale ? ' · paused while offline' : ''}`;
	const lines = graphLines(device, service).slice(0, rows - 1);
	// Rows beyond one a graph (a tall terminal) make every graph taller, up to 8 rows each, headed by its figures.
	const graphHeight = Math.max(1, Math.min(8, Math.floor((rows - 1) / Math.max(1, lines.length))));
	const valueWidth = Math.max(10, Math.min(36, width - sparkWidth - 6 - 20));
	return (
		<Box flexDirection="column" width={width} height={rows}>
			<Line segments={[{text: rule(title, width), color: palette.title}]} />
			{lines.flatMap(line => {
				const chart = line.series
					? tallSparkline(line.series.values, {width: sparkWidth, height: graphHeight, min: 0, max: line.max, empty: '·'})
					: Array.from({length: graphHeight}, (_, index) => (index === graphHeight - 1 ? '·'.repeat(sparkWidth) : ' '.repeat(sparkWidth)));
				// The label and the figures head each chart, on its top row.
				return chart.map((chartRow, index) => {
					const head = index === 0;
					const segments: Segment[] = [
						{text: fit(head ? line.label : '', 5), bold: true},
						{text: fit(chartRow, sparkWidth + 1), color: line.series ? palette.accent : palette.muted},
						...(head
							? [
								{text: fit(line.value, valueWidth)},
								{text: fit(` ${line.source}`, Math.max(0, width - 5 - sparkWidth - 1 - valueWidth)), color: palette.muted, dim: !palette.color},
							]
							: []),
					];
					return <Line key={`${line.label}-${index}`} segments={segments} />;
				});
			})}
		</Box>
	);
}
