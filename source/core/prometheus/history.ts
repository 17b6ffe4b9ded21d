// A device's history read back from Prometheus: memory, CPU, network and per-service RSS over 1 h, 24 h or 7 d.
//
// The dashboard keeps five minutes in its rings; longer windows come from here. Each figure is one range query whose
// step gives about `points` points (a graph is never wider than that), so 7 days cost what 1 hour does.
import type {MetricUnit} from '../metric-ring.js';
import {describeError} from '../device-error.js';
import {metricNames} from './metric-names.js';
import type {PrometheusClient, RangeAnswer} from './prometheus-client.js';

export const historyWindows = {'1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000} as const;
export type HistoryWindow = keyof typeof historyWindows;

/** Like the fleet store's MetricSeries, with where it came from: the query, its step and window. */
export type HistorySeries = {
	readonly values: ReadonlyArray<number | null>;
	/** Sample times (ms since the epoch), parallel to `values`. */
	readonly times: readonly number[];
	readonly latest: number | null;
	readonly unit: MetricUnit;
	readonly source: 'prometheus';
	readonly query: string;
	readonly stepMs: number;
};

export type DeviceHistory = {
	readonly window: HistoryWindow;
	readonly startMs: number;
	readonly endMs: number;
	/** Bytes in use (total − available), from the exporter. */
	readonly memoryUsed: HistorySeries | null;
	/** From the device's node exporter, when Prometheus scrapes one. */
	readonly cpuPercent: HistorySeries | null;
	readonly rxBytesPerSecond: HistorySeries | null;
	readonly txBytesPerSecond: HistorySeries | null;
	/** By service path, from the exporter. */
	readonly serviceRss: ReadonlyMap<string, HistorySeries>;
	/** Queries that failed or came back partial, each naming the server and the cause; the rest are still usable. */
	readonly problems: readonly string[];
};

export type HistoryRequest = {
	/** The device's name in the exporter's `device` label. */
	device: string;
	/** The node exporter's `instance` label (host:9100), or null when the device has none. */
	nodeInstance?: string | null;
	window: HistoryWindow;
	/** Points per graph; default 240. */
	points?: number;
	/** Shortest step (Prometheus's scrape interval is a sensible one); default 15 s. */
	minStepMs?: number;
	/** End of the window; default now. */
	endMs?: number;
	signal?: AbortSignal;
};

/** A PromQL string literal: JSON's escaping is a subset PromQL reads the same. */
export function promqlString(text: string): string {
	return JSON.stringify(text);
}

export function historyStepMs(window: HistoryWindow, points = 240, minStepMs = 15_000): number {
	return Math.max(minStepMs, Math.ceil(historyWindows[window] / points / 1000) * 1000);
}

/** The queries a device's history is made of (exported for tests and for showing "where from"). */
export function historyQueries(device: string, nodeInstance: string | null, stepMs: number) {
	const byDevice = `{device=${promqlString(device)}}`;
	// A rate over at least four scrapes of 15 s, and over the whole step when it is longer, so no sample falls between.
	const range = `${Math.max(60, Math.round(stepMs / 1000))}s`;
	const node = nodeInstance === null ? null : `instance=${promqlString(nodeInstance)}`;
	return {
		memoryUsed: `${metricNames.memoryTotal}${byDevice} - ${metricNames.memoryAvailable}${byDevice}`,
		serviceRss: `${metricNames.serviceRss}${byDevice}`,
		cpuPercent: node === null ? null : `100 * (1 - avg(rate(node_cpu_seconds_total{${node},mode="idle"}[${range}])))`,
		rxBytesPerSecond: node === null ? null : `sum(rate(node_network_receive_bytes_total{${node},device!="lo"}[${range}]))`,
		txBytesPerSecond: node === null ? null : `sum(rate(node_network_transmit_bytes_total{${node},device!="lo"}[${range}]))`,
	};
}

function series(answer: RangeAnswer, index: number, unit: MetricUnit, query: string): HistorySeries | null {
	const found = answer.series[index];
	if (!found) {
		return null;
	}

	let latest: number | null = null;
	for (let at = found.values.length - 1; at >= 0 && latest === null; at--) {
		latest = found.values[at] ?? null;
	}

	return Object.freeze({values: found.values, times: found.times, latest, unit, source: 'prometheus', query, stepMs: answer.stepMs});
}

/**
 * Reads a device's history: all queries at once; one failing leaves the others (its problem is listed). Throws only
 * when every query failed, with the first failure (so "Prometheus is down" is one clear error).
 */
export async function deviceHistory(client: PrometheusClient, request: HistoryRequest): Promise<DeviceHistory> {
	const endMs = request.endMs ?? Date.now();
	const windowMs = historyWindows[request.window];
	const stepMs = historyStepMs(request.window, request.points, request.minStepMs);
	const queries = historyQueries(request.device, request.nodeInstance ?? null, stepMs);
	const range = {startMs: endMs - windowMs, endMs, stepMs};
	const run = async (query: string | null) => (query === null ? null : client.queryRange(query, range, request.signal));
	const names = ['memoryUsed', 'serviceRss', 'cpuPercent', 'rxBytesPerSecond', 'txBytesPerSecond'] as const;
	const settled = await Promise.allSettled(names.map(async name => run(queries[name])));
	const problems: string[] = [];
	const answers = new Map<(typeof names)[number], RangeAnswer | null>();
	for (const [index, result] of settled.entries()) {
		const name = names[index]!;
		if (result.status === 'rejected') {
			problems.push(describeError(result.reason, client.name));
			answers.set(name, null);
		} else {
			answers.set(name, result.value);
			for (const warning of result.value?.warnings ?? []) {
				problems.push(`${client.name}: partial data for ${name}: ${warning}`);
			}

			if (result.value && result.value.droppedSeries > 0) {
				problems.push(`${client.name}: ${result.value.droppedSeries} series of ${name} not shown`);
			}
		}
	}

	if (settled.every(result => result.status === 'rejected')) {
		throw (settled[0] as PromiseRejectedResult).reason;
	}

	const pick = (name: (typeof names)[number], unit: MetricUnit) => {
		const answer = answers.get(name);
		return answer ? series(answer, 0, unit, queries[name]!) : null;
	};

	const serviceRss = new Map<string, HistorySeries>();
	const rssAnswer = answers.get('serviceRss');
	if (rssAnswer) {
		for (const [index, found] of rssAnswer.series.entries()) {
			const path = found.labels.service;
			const mapped = path === undefined ? null : series(rssAnswer, index, 'bytes', queries.serviceRss);
			if (path !== undefined && mapped) {
				serviceRss.set(path, mapped);
			}
		}
	}

	return {
		window: request.window,
		startMs: range.startMs,
		endMs,
		memoryUsed: pick('memoryUsed', 'bytes'),
		cpuPercent: pick('cpuPercent', 'percent'),
		rxBytesPerSecond: pick('rxBytesPerSecond', 'bytes-per-second'),
		txBytesPerSecond: pick('txBytesPerSecond', 'bytes-per-second'),
		serviceRss,
		problems,
	};
}
