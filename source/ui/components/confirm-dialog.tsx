// The confirmation of a destructive action: y/Enter for a service, the device's name typed for reboot and power off.
import React from 'react';
import {Box, Text} from 'ink';
import type {Dialog} from '../dashboard-state.js';
import {clean} from '../../display/device-text.js';
import {usePalette} from '../theme.js';

/** Lines the dialog takes (border included). */
export const dialogRows = 4;

const questions = {
	restart: 'Restart',
	stop: 'Stop',
	start: 'Start',
	once: 'Run once (then keep stopped)',
	kill: 'Kill with SIGKILL (the supervisor starts it again)',
} as const;

export function ConfirmDialog({dialog, width}: {dialog: Dialog; width: number}) {
	const palette = usePalette();
	const boxWidth = Math.min(width, 76);
	if (dialog.kind === 'confirm') {
		return (
			<Box borderStyle="round" borderColor={palette.warn} flexDirection="column" width={boxWidth} height={dialogRows} paddingX={1}>
				<Text wrap="truncate-end" bold>{`${questions[dialog.action]} ${clean(dialog.path)} on ${clean(dialog.device)}?`}</Text>
				<Text wrap="truncate-end">y or Enter: yes · any other key: no</Text>
			</Box>
		);
	}

	const verb = dialog.action === 'reboot' ? 'reboot' : 'power off';
	return (
		<Box borderStyle="double" borderColor={palette.bad} flexDirection="column" width={boxWidth} height={dialogRows} paddingX={1}>
			<Text wrap="truncate-end" bold>{`To ${verb} ${clean(dialog.device)}, type its name and press Enter (Esc cancels):`}</Text>
			<Text wrap="truncate-end">
				{'> '}
				{dialog.typed}
				<Text inverse> </Text>
				{dialog.wrong ? <Text color={palette.bad}>{`  not "${clean(dialog.device)}"`}</Text> : null}
			</Text>
		</Box>
	);
}
