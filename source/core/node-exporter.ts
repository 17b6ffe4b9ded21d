// Reads a device's Prometheus node exporter (CPU, load, network, memory) and turns two readings into rates.
import http from 'node:http';
import https from 'node:https';
import type {DeviceTarget} from './device-target.js';
import {DeviceError, isDeviceError} from './device-error.js';
import {readBody} from './http-transport.js';
import {parsePrometheusText, type PrometheusSample} from './prometheus-text.js';
import {readLimits} from './read-limits.js';
import {nodeExporterPort} from './node-exporter-port.js';

export {nodeExporterPort} from './node-exporter-port.js';

/** Cumulative counters and gauges of one scrape. */
export type NodeExporterReading = {
	/** When the scrape finished (ms since the epoch, local clock). */
	at: number;
	/** Seconds all CPUs spent in any mode, and in idle + iowait. */
	cpuTotalSeconds: number | null;
	cpuIdleSeconds: number | null;
	cpuCount: number;
	load1: number | null;
	load5: number | null;
	load15: number | null;
	/** Summed over interfaces other than loopback. */
	rxBytes: number | null;
	txBytes: number | null;
	memTotal: number | null;
	memAvailable: number | null;
};

/** Figures between two readings. */
export type NodeExporterRates = {
	/** Busy share of all CPUs together, 0–100. */
	cpuPercent: number | null;
	rxBytesPerSecond: number | null;
	txBytesPerSecond: number | null;
};

/** The target's own node exporter URL, else `http://<device host>:9100/metrics`; null when its URL has no host. */
export function defaultNodeExporterUrl(target: DeviceTarget): string | null {
	if (target.nodeExporterUrl !== undefined) {
		return target.nodeExporterUrl;
	}

	try {
		const url = new URL(target.url);
		return `http://${url.hostname.includes(':') && !url.hostname.startsWith('[') ? `[${url.hostname}]` : url.hostname}:${nodeExporterPort}/metrics`;
	} catch {
		return null;
	}
}

/** A service list that includes the node exporter package (its path ends in `/node_exporter`). */
export function runsNodeExporter(servicePaths: Iterable<string>): boolean {
	for (const path of servicePaths) {
		if (/\/node_exporter$/.test(path)) {
			return true;
		}
	}

	return false;
}

/** Reduces a scrape's samples to the figures the dashboard shows. */
export function readingFromSamples(samples: PrometheusSample[], at: number): NodeExporterReading {
	let cpuTotal = 0;
	let cpuIdle = 0;
	let sawCpu = false;
	const cpus = new Set<string>();
	let rx = 0;
	let tx = 0;
	let sawRx = false;
	let sawTx = false;
	const reading: NodeExporterReading = {
		at,
		cpuTotalSeconds: null,
		cpuIdleSeconds: null,
		cpuCount: 0,
		load1: null,
		load5: null,
		load15: null,
		rxBytes: null,
		txBytes: null,
		memTotal: null,
		memAvailable: null,
	};
	for (const sample of samples) {
		switch (sample.name) {
			case 'node_cpu_seconds_total': {
				sawCpu = true;
				cpuTotal += sample.value;
				if (sample.labels.mode === 'idle' || sample.labels.mode === 'iowait') {
					cpuIdle += sample.value;
				}

				cpus.add(sample.labels.cpu ?? '');
				break;
			}

			case 'node_load1': {
				reading.load1 = sample.value;
				break;
			}

			case 'node_load5': {
				reading.load5 = sample.value;
				break;
			}

			case 'node_load15': {
				reading.load15 = sample.value;
				break;
			}

			case 'node_network_receive_bytes_total': {
				if (sample.labels.device !== 'lo') {
					rx += sample.value;
					sawRx = true;
				}

				break;
			}

			case 'node_network_transmit_bytes_total': {
				if (sample.labels.device !== 'lo') {
					tx += sample.value;
					sawTx = true;
				}

				break;
			}

			case 'node_memory_MemTotal_bytes': {
				reading.memTotal = sample.value;
				break;
			}

			case 'node_memory_MemAvailable_bytes': {
				reading.memAvailable = sample.value;
				break;
			}

			default: {
				break;
			}
		}
	}

	if (sawCpu) {
		reading.cpuTotalSeconds = cpuTotal;
		reading.cpuIdleSeconds = cpuIdle;
		reading.cpuCount = cpus.size;
	}

	reading.rxBytes = sawRx ? rx : null;
	reading.txBytes = sawTx ? tx : null;
	return reading;
}

/** Rates between an earlier and a later reading; null where a counter is missing or went backwards (a restart). */
export function nodeExporterRates(previous: NodeExporterReading, current: NodeExporterReading): NodeExporterRates {
	const seconds = (current.at - previous.at) / 1000;
	const rate = (before: number | null, after: number | null): number | null => {
		if (before === null || after === null || seconds <= 0 || after < before) {
			return null;
		}

		return (after - before) / seconds;
	};

	let cpuPercent: number | null = null;
	if (
		previous.cpuTotalSeconds !== null
		&& current.cpuTotalSeconds !== null
		&& previous.cpuIdleSeconds !== null
		&& current.cpuIdleSeconds !== null
	) {
		const total = current.cpuTotalSeconds - previous.cpuTotalSeconds;
		const idle = current.cpuIdleSeconds - previous.cpuIdleSeconds;
		if (total > 0 && idle >= 0 && idle <= total) {
			cpuPercent = ((total - idle) / total) * 100;
		}
	}

	return {
		cpuPercent,
		rxBytesPerSecond: rate(previous.rxBytes, current.rxBytes),
		txBytesPerSecond: rate(previous.txBytes, current.txBytes),
	};
}

/**
 * Scrapes `url` once. Network failures, non-200 answers and text without any node_* metric become a DeviceError
 * naming `device`; the exporter needs no credentials.
 */
export async function scrapeNodeExporter(
	device: string,
	url: string,
	options: {signal?: AbortSignal; timeoutMs?: number; now?: () => number} = {},
): Promise<NodeExporterReading> {
	const timeout = AbortSignal.timeout(options.timeoutMs ?? 3000);
	const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
	let answer: {status: number; text: string};
	try {
		answer = await getText(url, signal);
	} catch (error) {
		const cause = timeout.aborted ? `no answer from node_exporter at ${url}` : `node_exporter at ${url}: ${causeOf(error)}`;
		throw new DeviceError(device, timeout.aborted ? 'timeout' : 'unreachable', cause);
	}

	if (answer.status !== 200) {
		throw new DeviceError(device, 'http', `node_exporter at ${url} answered ${answer.status}`, answer.status);
	}

	const {text} = answer;
	const {samples} = parsePrometheusText(text);
	if (!samples.some(sample => sample.name.startsWith('node_'))) {
		throw new DeviceError(device, 'not-gokrazy', `${url} is not a node exporter (no node_* metrics)`);
	}

	return readingFromSamples(samples, (options.now ?? Date.now)());
}

/**
 * GET with node:http(s), as the device client does: the global fetch would load undici (some 50 ms of compiling) on
 * the first poll, before the dashboard's first frame with data (bench/dashboard-startup.ts). A non-200 answer's body
 * is not read.
 */
async function getText(url: string, signal: AbortSignal): Promise<{status: number; text: string}> {
	const get = url.startsWith('https:') ? https.get : http.get;
	return new Promise((resolve, reject) => {
		const request = get(url, {signal, headers: {accept: 'text/plain'}}, response => {
			const status = response.statusCode ?? 0;
			if (status !== 200) {
				response.destroy();
				resolve({status, text: ''});
				return;
			}

			readBody(response, url, signal, readLimits.metricsBytes).then(body => {
				resolve({status, text: body.toString('utf8')});
			}, reject);
		});
		request.on('error', reject);
	});
}

function causeOf(error: unknown): string {
	if (isDeviceError(error)) {
		return error.causeText;
	}

	if (error instanceof Error) {
		const cause = (error as Error & {cause?: unknown}).cause;
		if (cause instanceof Error && cause.message) {
			return cause.message;
		}

		return error.message;
	}

	return String(error);
}
