// The device list: health in a mark and in words, the device's name (its hostname beside it when different), model,
// build age, memory with its sparkline, service counts. Columns are sized from the rows they show: what tells rows
// apart (name, health, counts) is cut last; a column identical on every row (one model for the whole fleet) goes first.
import React from 'react';
import {Box} from 'ink';
import type {DeviceSnapshot} from '../../core/fleet-store.js';
import {cell, fit, textWidth} from '../../display/columns.js';
import {agoText, shortBytes, shortDuration} from '../../display/units.js';
import {clean, deviceHostname, deviceLabel} from '../../display/device-text.js';
import {sparkline} from '../../display/sparkline.js';
import {healthLook, lookText, type Tone} from '../../display/vocabulary.js';
import {toneColor, usePalette, type Palette} from '../theme.js';
import {windowStart, type ColumnMode, type TableWindowProps} from '../fleet-layout.js';
import {Line, type Segment} from './line.js';

/** What a row says besides the device's own state (an update's progress, drift, an alert): in place of host and model. */
export type RowNote = {readonly text: string; readonly tone: Tone};

/** Column widths, 0 for a column not shown. */
export type DeviceColumns = {health: number; name: number; host: number; model: number; age: number; mem: number; spark: number; services: number};

/** How long "● back" stays after a reboot the user asked for. */
export const backShownMs = 60_000;

/** `10▶ 2■ 0↻`: running, stopped, restarting or crash-looping. */
function countText(device: DeviceSnapshot): string {
	const {counts} = device;
	return device.overview ? `${counts.running}▶ ${counts.stopped}■ ${counts.restarting + counts.crashLooping}↻` : '';
}

/** What the health cell says: a reboot the user asked for reads "rebooting", "away 14 s", "back"; else the health. */
export function healthWords(device: DeviceSnapshot, now: number): {text: string; tone: Tone} {
	const power = device.power;
	if (power?.kind === 'reboot' && power.phase === 'pending') {
		if (device.health !== 'online' && power.awaySince !== undefined) {
			return {text: `↻ away ${shortDuration(now - power.awaySince)}`, tone: 'warn'};
		}

		return {text: '↻ rebooting', tone: 'warn'};
	}

	if (power?.kind === 'reboot' && power.backAt !== undefined && device.health === 'online' && now - power.backAt < backShownMs) {
		return {text: '● back', tone: 'ok'};
	}

	if (power?.kind === 'poweroff' && power.phase === 'done') {
		return {text: device.health === 'online' ? '◌ powering off' : '■ powered off', tone: 'muted'};
	}

	const look = healthLook[device.health];
	return {text: lookText(look), tone: look.tone};
}

/** Columns for these rows at this width: each grows to its longest value, the ones that matter least give way first. */
export function deviceColumns(devices: readonly DeviceSnapshot[], width: number, mode: ColumnMode, now = Date.now()): DeviceColumns {
	const longest = (values: Iterable<string>, floor: number) => {
		let max = floor;
		for (const value of values) {
			max = Math.max(max, textWidth(value));
		}

		return max;
	};

	const health = Math.min(17, longest(devices.map(device => healthWords(device, now).text), 8) + 2);
	const nameWanted = longest(devices.map(device => deviceLabel(device)), 4) + 2;
	if (mode === 'narrow') {
		return {health, name: Math.max(6, width - 2 - health), host: 0, model: 0, age: 0, mem: 0, spark: 0, services: 0};
	}

	const hosts = devices.map(device => deviceHostname(device));
	const hostWanted = hosts.some(Boolean) ? longest(hosts, 4) + 2 : 0;
	const models = new Set(devices.filter(device => device.overview).map(device => clean(device.overview?.model) || '-'));
	// One model on every row tells no row apart: the column goes (unless there is room to spare).
	const modelWanted = models.size === 0 ? 0 : longest(models, 5) + 2;
	// The counts, a space, then the crash-loop mark ("2!") in 3.
	const services = longest(devices.map(device => countText(device)), 8) + 4;
	const age = 7;
	const mem = 6;
	const base = width - 2 - health - age - mem - services;
	// The sparkline gives way before the name is cut.
	const spark = base - (mode === 'wide' ? 17 : 7) >= nameWanted ? (mode === 'wide' ? 16 : 6) : 0;
	let room = base - (spark > 0 ? spark + 1 : 0);
	const name = Math.max(6, Math.min(nameWanted, room));
	room -= name;
	// The rest, in the order they give way: a model shared by every row, the hostname, the model.
	let host = Math.min(hostWanted, Math.max(0, room));
	room -= host;
	// One row alone has nothing to be told apart from: its model is worth showing as long as there is room.
	const constant = models.size === 1 && devices.length > 1;
	let model = !constant || room >= modelWanted ? Math.min(modelWanted, Math.max(0, room)) : 0;
	room -= model;
	if (host > 0 && host < 6) {
		room += host;
		host = 0;
	}

	if (model > 0 && model < 6) {
		room += model;
		model = 0;
	}

	// Whatever is left goes to the last text column shown, so the counts stay at the right edge.
	if (room > 0) {
		if (model > 0) {
			model += room;
		} else if (host > 0) {
			host += room;
		}
	}

	return {health, name: name + (model === 0 && host === 0 ? Math.max(0, room) : 0), host, model, age, mem, spark, services};
}

export function deviceHeaderSegments(width: number, c: DeviceColumns): Segment[] {
	let text = `  ${cell('HEALTH', c.health)}${cell('NAME', c.name)}`;
	if (c.age > 0) {
		text += `${cell(c.host >= 10 ? 'HOSTNAME' : 'HOST', c.host)}${cell('MODEL', c.model)}${cell('BUILT', c.age)}${cell('MEM', c.mem)}${fit('', c.spark > 0 ? c.spark + 1 : 0)}${fit('SERVICES', c.services)}`;
	}

	return [{text: fit(text, width), bold: true}];
}

export function deviceRowSegments(device: DeviceSnapshot, options: {columns: DeviceColumns; selected: boolean; focused: boolean; now: number; palette: Palette; marked?: boolean; note?: RowNote}): Segment[] {
	const {columns: c, selected, focused, now, palette, note} = options;
	const pointer = `${selected ? (focused ? '▸' : '›') : ' '}${options.marked ? '*' : ' '}`;
	const offline = device.health !== 'online';
	const health = healthWords(device, now);
	const overview = device.overview;
	const segments: Segment[] = [
		{text: pointer, bold: true},
		{text: cell(health.text, c.health), color: toneColor(palette, health.tone), bold: offline},
		{text: cell(deviceLabel(device), c.name), dim: offline && device.stale, bold: selected},
	];
	if (c.age === 0) {
		return segments;
	}

	if (note) {
		segments.push({text: cell(note.text, c.host + c.model), color: toneColor(palette, note.tone), bold: true});
	} else if (offline) {
		// Offline, the model matters less than when the device was last heard of: the text columns become one, all
		// rows aligned on the name column whatever they say.
		const seen = device.lastSeen === null
			? (device.health === 'connecting' ? 'connecting…' : 'never seen')
			: `last seen ${agoText(now - device.lastSeen)} · last known data`;
		segments.push({text: cell(seen, c.host + c.model), color: toneColor(palette, healthLook[device.health].tone), dim: device.stale});
	} else {
		segments.push(
			{text: cell(deviceHostname(device), c.host), dim: true},
			{text: cell(clean(overview?.model) || '-', c.model), dim: true},
		);
	}

	const memory = device.memory;
	segments.push(
		{text: cell(buildAge(overview?.buildTimestamp, device.stale && device.lastSeen !== null ? device.lastSeen : now), c.age), dim: offline},
		{text: cell(memory ? shortBytes(memory.used) : '-', c.mem), dim: offline},
		{
			text: c.spark > 0 ? fit(sparkline(device.memoryHistory.values, {width: c.spark, min: 0, max: memory?.total}), c.spark + 1) : '',
			color: palette.accent,
			dim: offline,
		},
		{text: cell(countText(device), c.services - 3), dim: offline},
		{text: device.counts.crashLooping > 0 ? fit(`${device.counts.crashLooping}!`, 3) : '   ', color: palette.bad, bold: true, dim: offline},
	);
	return segments;
}

function buildAge(timestamp: string | undefined, now: number): string {
	if (!timestamp) {
		return '-';
	}

	const time = Date.parse(timestamp);
	return Number.isNaN(time) ? '?' : shortDuration(now - time);
}

/** The rows of the list on screen: a window of `rows` that keeps the selected device in the middle where it can. */
export function deviceWindow(devices: readonly DeviceSnapshot[], selected: string | null | undefined, rows: number): readonly DeviceSnapshot[] {
	const selectedIndex = Math.max(0, devices.findIndex(device => device.name === selected));
	const start = windowStart(devices.length, rows, selectedIndex, selectedIndex - Math.floor(rows / 2));
	return devices.slice(start, start + rows);
}

export function DeviceTable({devices, selected, focused, rows, width, mode, now, marked, note}: TableWindowProps & {
	devices: readonly DeviceSnapshot[];
	/** Devices marked for an update of several (a `*` after the pointer). */
	marked?: readonly string[];
	note?: (device: DeviceSnapshot) => RowNote | undefined;
}) {
	const palette = usePalette();
	const shown = deviceWindow(devices, selected, rows);
	// Sized from every device, not the visible window: scrolling must not make the columns jump.
	const columns = deviceColumns(devices, width, mode, now);
	return (
		<Box flexDirection="column" width={width} height={rows + 1}>
			<Line segments={deviceHeaderSegments(width, columns)} />
			{shown.length === 0 ? (
				<Line segments={[{text: 'no devices match the filter', dim: true}]} />
			) : shown.map(device => (
				<Line
					key={device.name}
					inverse={device.name === selected && focused}
					segments={deviceRowSegments(device, {columns, selected: device.name === selected, focused, now, palette, marked: marked?.includes(device.name), note: note?.(device)})}
				/>
			))}
		</Box>
	);
}
