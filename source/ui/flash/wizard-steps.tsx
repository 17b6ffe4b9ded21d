// The wizard's screens, one per step: source, target (live list), confirm, build/write/verify progress, finish.
import React from 'react';
import {Box, Text} from 'ink';
import type {DriveAssessment} from '../../core/flash/drive-verdict.js';
import {fractionDone, secondsLeft, type FlashProgress} from '../../core/flash/flash-progress.js';
import {formatBytes, formatDuration, formatRate} from '../../core/flash/flash-units.js';
import {usePalette} from '../theme.js';
import {confirmOptions, nameToType, selectedDrive, type WizardState} from './flash-wizard-state.js';

const formatLabel = {raw: 'raw image', gzip: 'gzip-compressed', xz: 'xz-compressed', zstd: 'zstd-compressed'} as const;

function Cursor({on}: {on: boolean}) {
	return <Text>{on ? '› ' : '  '}</Text>;
}

export function SourceStep({state}: {state: WizardState}) {
	const palette = usePalette();
	return (
		<Box flexDirection="column">
			<Text bold>1. What to write</Text>
			<Box>
				<Cursor on={state.sourceIndex === 0}/>
				<Text>Image file: </Text>
				<Text color={palette.accent}>{state.imagePath}</Text>
				{state.sourceIndex === 0 ? <Text inverse> </Text> : null}
			</Box>
			{state.completions ? (
				<Text color={palette.muted} wrap="truncate-end">    {state.completions.candidates.join('  ')}{state.completions.matches > state.completions.candidates.length ? `  … ${state.completions.matches} in all` : ''}</Text>
			) : null}
			{state.instances.map((name, index) => (
				<Box key={name}>
					<Cursor on={state.sourceIndex === index + 1}/>
					<Text>gok instance: </Text>
					<Text color={palette.accent}>{name}</Text>
					<Text color={palette.muted}> (built with gok overwrite --full for the card)</Text>
				</Box>
			))}
			{state.brokenInstances.map(source => (
				<Box key={source.name}>
					<Text>  </Text>
					<Text color={palette.bad}>gok instance {source.name}: broken, not offered: </Text>
					<Text color={palette.muted} wrap="truncate-end">{source.problem}</Text>
				</Box>
			))}
			{state.unbuildable.length > 0 ? (
				<Text color={palette.warn}>gok is not on PATH, so the gok instance{state.unbuildable.length === 1 ? '' : 's'} {state.unbuildable.join(', ')} cannot be built here (go install github.com/gokrazy/tools/cmd/gok@latest); an image file can still be written.</Text>
			) : null}
			{state.checking ? <Text color={palette.muted}>Checking the image…</Text> : null}
			{state.sourceError ? <Text color={palette.bad}>{state.sourceError}</Text> : null}
		</Box>
	);
}

function verdictMark(drive: DriveAssessment): string {
	return drive.verdict === 'ok' ? 'ok    ' : drive.verdict === 'warn' ? 'warn  ' : 'refuse';
}

function describeDevice(drive: DriveAssessment): string {
	const {device} = drive;
	const name = [device.vendor, device.model].filter(Boolean).join(' ') || device.type;
	return `${device.path.padEnd(14)} ${formatBytes(device.size).padStart(8)}  ${(device.transport || '-').padEnd(5)} ${name}`;
}

export function TargetStep({state, rows}: {state: WizardState; rows: number}) {
	const palette = usePalette();
	const index = Math.max(0, state.drives.findIndex(drive => drive.device.path === state.targetPath));
	const start = Math.max(0, Math.min(index - Math.floor(rows / 2), state.drives.length - rows));
	const visible = state.drives.slice(start, start + rows);
	const chosen = selectedDrive(state);
	const source = state.image ? `${state.image.path} (${state.image.size === undefined ? 'size unknown until written' : formatBytes(state.image.size)})` : `gok instance ${state.instance}`;
	return (
		<Box flexDirection="column">
			<Text bold>2. Which card <Text color={palette.muted}>(for {source}; the list follows what is plugged in)</Text></Text>
			{!state.surveyed ? <Text color={palette.muted}>Looking for disks…</Text> : null}
			{state.surveyed && state.drives.length === 0 ? <Text color={palette.muted}>No disks found. Plug in a card reader{state.showAll ? '' : ' (a shows loop devices too)'}.</Text> : null}
			{visible.map(drive => {
				const colour = drive.verdict === 'ok' ? palette.ok : drive.verdict === 'warn' ? palette.warn : palette.bad;
				return (
					<Box key={drive.device.path}>
						<Cursor on={drive.device.path === state.targetPath}/>
						<Text color={colour}>{verdictMark(drive)}</Text>
						<Text dimColor={drive.verdict === 'refuse'}> {describeDevice(drive)}</Text>
					</Box>
				);
			})}
			{state.drives.length > rows ? <Text color={palette.muted}>  ({state.drives.length} devices; ↑↓ to see more)</Text> : null}
			{chosen && chosen.reasons.length > 0 ? (
				<Text color={chosen.verdict === 'refuse' ? palette.bad : palette.warn}>  {chosen.device.path}: {chosen.reasons.map(reason => reason.text).join('; ')}</Text>
			) : null}
			{state.surveyError ? <Text color={palette.bad}>{state.surveyError}</Text> : null}
			{state.targetNotice ? <Text color={palette.bad}>{state.targetNotice}</Text> : null}
		</Box>
	);
}

const optionText = {fast: 'Fast mode: write only the image\'s non-zero blocks', verify: 'Verify: read the card back and compare', unmount: 'Unmount its partitions first'} as const;

export function ConfirmStep({state}: {state: WizardState}) {
	const palette = usePalette();
	const drive = selectedDrive(state);
	if (!drive) {
		return <Text color={palette.bad}>The device is gone. Esc goes back to the list.</Text>;
	}

	const {device} = drive;
	const image = state.image;
	const partitions = device.children;
	return (
		<Box flexDirection="column">
			<Text bold>3. Confirm</Text>
			<Text>Image:  {image ? `${image.path}, ${formatLabel[image.format]}, ${image.size === undefined ? `${formatBytes(image.fileSize)} compressed` : formatBytes(image.size)}` : `gok instance ${state.instance}, built for ${formatBytes(device.size)}`}</Text>
			<Text>Target: {device.path}, {[device.vendor, device.model].filter(Boolean).join(' ') || device.type}, {formatBytes(device.size)}{device.transport ? ` over ${device.transport}` : ''}</Text>
			<Text>On it now: {partitions.length === 0 ? (device.fstype ? device.fstype : 'no partitions') : partitions.map(part => `${part.path.replace(device.path, '') || part.path} ${part.label || part.fstype || '?'} ${formatBytes(part.size)}${part.mountpoints.length > 0 ? ` (mounted at ${part.mountpoints.join(', ')})` : ''}`).join(', ')}</Text>
			<Text color={palette.bad}>Everything on {device.path} will be erased.</Text>
			{drive.reasons.length > 0 ? <Text color={palette.warn}>Warning: {device.path} {drive.reasons.map(reason => reason.text).join('; ')}.</Text> : null}
			<Box flexDirection="column" marginTop={1}>
				{confirmOptions(state).map((option, index) => (
					<Box key={option}>
						<Cursor on={state.confirmRow === index}/>
						<Text>[{state.options[option] ? 'x' : ' '}] {optionText[option]}</Text>
					</Box>
				))}
			</Box>
			<Box marginTop={1}>
				{drive.verdict === 'warn' ? (
					<Text>Type <Text bold>{nameToType(drive)}</Text> and press Enter to write: <Text color={palette.accent}>{state.typedName}</Text><Text inverse> </Text></Text>
				) : (
					<Text>Press <Text bold>y</Text> to write.</Text>
				)}
			</Box>
			{state.confirmError ? <Text color={palette.bad}>{state.confirmError}</Text> : null}
		</Box>
	);
}

function Bar({fraction, width}: {fraction: number; width: number}) {
	const palette = usePalette();
	const filled = Math.round(fraction * width);
	return <Text color={palette.accent}>{'█'.repeat(filled)}<Text color={palette.muted}>{'░'.repeat(Math.max(0, width - filled))}</Text></Text>;
}

function progressLine(progress: FlashProgress): string {
	const of = progress.phase === 'write' && progress.total === null
		? `${formatBytes(progress.bytes)} (total unknown: ${formatBytes(progress.sourceBytes)} of ${formatBytes(progress.sourceTotal)} of the file read)`
		: `${formatBytes(progress.bytes)} of ${formatBytes(progress.total ?? 0)}`;
	const left = secondsLeft(progress);
	return `${Math.floor(fractionDone(progress) * 100)}%  ${of}  ${formatRate(progress.bytesPerSecond)}${left === undefined ? '' : `  ETA ${formatDuration(left)}`}`;
}

export function ProgressStep({state, width}: {state: WizardState; width: number}) {
	const palette = usePalette();
	const drive = selectedDrive(state);
	const target = drive?.device.path ?? state.targetPath ?? '';
	const {progress} = state;
	if (state.step === 'sudo') {
		return <Text>Writing to {target} needs root: asking sudo…</Text>;
	}

	if (state.step === 'power-off') {
		return <Text>Written{state.options.verify ? ' and verified' : ''}: powering {target} off…</Text>;
	}

	if (state.step === 'build') {
		return (
			<Box flexDirection="column">
				<Text bold>Building {state.instance} with gok…</Text>
				{state.buildLines.slice(-8).map((line, index) => <Text key={index} color={palette.muted} wrap="truncate-end">{line}</Text>)}
				{state.cancelling ? <Text color={palette.warn}>Stopping…</Text> : null}
			</Box>
		);
	}

	const title = state.step === 'verify' ? `5. Verifying ${target}` : `4. Writing to ${target}`;
	return (
		<Box flexDirection="column">
			<Text bold>{title}</Text>
			{progress ? (
				<>
					<Bar fraction={fractionDone(progress)} width={Math.max(10, Math.min(60, width - 4))}/>
					<Text>{progressLine(progress)}</Text>
					{progress.phase === 'write' && progress.skippedBytes > 0 ? <Text color={palette.muted}>fast mode: {formatBytes(progress.skippedBytes)} of zeros skipped so far</Text> : null}
				</>
			) : <Text color={palette.muted}>Opening the card…</Text>}
			{state.cancelling ? <Text color={palette.warn}>Stopping…</Text> : null}
		</Box>
	);
}

export function FinishStep({state}: {state: WizardState}) {
	const palette = usePalette();
	const target = state.targetPath ?? '';
	if (state.error) {
		return (
			<Box flexDirection="column">
				<Text bold color={palette.bad}>Not flashed</Text>
				<Text color={palette.bad}>{state.error}</Text>
			</Box>
		);
	}

	const outcome = state.outcome;
	if (!outcome) {
		return null;
	}

	return (
		<Box flexDirection="column">
			<Text bold color={palette.ok}>6. Done: {target} holds the image</Text>
			<Text>Wrote {formatBytes(outcome.imageBytes)} in {formatDuration(outcome.writeSeconds)}{outcome.sha256 ? `; sha256 ${outcome.sha256}` : ''}</Text>
			{outcome.fast ? <Text>Fast mode: {formatBytes(outcome.writtenBytes)} written, {formatBytes(outcome.skippedBytes)} of zeros skipped.</Text> : null}
			<Text>{outcome.verified ? `Verified: the card reads back identical (${formatDuration(outcome.verifySeconds)}).` : 'Not verified.'}</Text>
			{outcome.powerOff ? <Text>{`${outcome.powerOff.message[0].toUpperCase()}${outcome.powerOff.message.slice(1)}.`}</Text> : null}
			<Text>Next: put the card into the device and power it on. Once it has booted it shows up in the dashboard under its hostname.</Text>
		</Box>
	);
}
