// The dialogs: y/Enter for a service action or for quitting while one runs, the device's name typed for reboot and
// power off, a file path for saving. As wide as the terminal, questions wrapped, never cut.
import React from 'react';
import {Box, Text} from 'ink';
import type {Dialog} from '../dashboard-state.js';
import {clean} from '../../display/device-text.js';
import {wrapWords} from '../../display/columns.js';
import {usePalette} from '../theme.js';

/** Lines the smallest dialog takes (border included); dialogHeight gives a dialog's own. */
export const dialogRows = 4;

/** The most lines a question wraps to. */
const maxQuestionLines = 3;

const questions = {
	restart: 'Restart',
	stop: 'Stop',
	start: 'Start',
	once: 'Run once (then keep stopped)',
	kill: 'Kill with SIGKILL (the supervisor starts it again)',
} as const;

function question(dialog: Dialog): string {
	switch (dialog.kind) {
		case 'confirm': {
			return `${questions[dialog.action]} ${clean(dialog.path)} on ${clean(dialog.device)}?`;
		}

		case 'typed': {
			const verb = dialog.action === 'reboot' ? 'reboot' : 'power off';
			return `To ${verb} ${clean(dialog.device)}, type ${clean(dialog.device)} and press Enter (Esc cancels):`;
		}

		case 'quit': {
			return `${clean(dialog.busy)} is still running; quit anyway? (it goes on on the device, unwatched)`;
		}

		case 'path': {
			return 'Save the log (as shown, filters applied) to this file; Enter saves, Esc cancels:';
		}
	}
}

/** The dialog's width at this terminal width: all of it, less nothing (the frame is the terminal's width). */
function boxWidth(width: number): number {
	return Math.max(10, width);
}

function questionLines(dialog: Dialog, width: number): string[] {
	return wrapWords(question(dialog), Math.max(1, boxWidth(width) - 4), maxQuestionLines);
}

/** Lines this dialog takes at this width, border included. */
export function dialogHeight(dialog: Dialog, width: number): number {
	return questionLines(dialog, width).length + 3;
}

export function ConfirmDialog({dialog, width}: {dialog: Dialog; width: number}) {
	const palette = usePalette();
	const lines = questionLines(dialog, width);
	const height = lines.length + 3;
	const danger = dialog.kind === 'typed';
	return (
		<Box borderStyle={danger ? 'double' : 'round'} borderColor={danger ? palette.bad : palette.warn} flexDirection="column" width={boxWidth(width)} height={height} paddingX={1}>
			{lines.map((line, index) => (
				// Lines are positional.
				<Text key={index} wrap="truncate-end" bold>{line}</Text>
			))}
			<Answer dialog={dialog} />
		</Box>
	);
}

function Answer({dialog}: {dialog: Dialog}) {
	const palette = usePalette();
	switch (dialog.kind) {
		case 'confirm':
		case 'quit': {
			return <Text wrap="truncate-end">y or Enter: yes · any other key: no</Text>;
		}

		case 'typed': {
			return (
				<Text wrap="truncate-end">
					{'> '}
					{dialog.typed}
					<Text inverse> </Text>
					{dialog.wrong ? <Text color={palette.bad}>{`  not "${clean(dialog.device)}"`}</Text> : null}
				</Text>
			);
		}

		case 'path': {
			return (
				<Text wrap="truncate-start">
					{'> '}
					{dialog.text}
					<Text inverse> </Text>
				</Text>
			);
		}
	}
}
