// The flashing wizard: source → target (live list) → confirm → write → verify → finish; embeddable (the dashboard's `f`) and standalone.
import os from 'node:os';
import React, {useEffect, useMemo, useReducer, useRef} from 'react';
import {Box, Text, useInput} from 'ink';
import {FlashError, isFlashError} from '../../core/flash/flash-error.js';
import {noSudoMessage} from '../../core/flash/elevation.js';
import type {FlashEvent, FlashOutcome} from '../../core/flash/flash-job.js';
import type {GokBuild} from '../../core/flash/gok-image.js';
import {usePalette} from '../theme.js';
import {useTerminalSize} from '../terminal-size.js';
import {defaultFlashServices, type FlashServices} from './flash-services.js';
import {flashKeys, type FlashIntent} from './flash-keys.js';
import {initialWizardState, selectedDrive, wizardReducer, type WizardState} from './flash-wizard-state.js';
import {ConfirmStep, FinishStep, ProgressStep, SourceStep, TargetStep} from './wizard-steps.js';

export type FlashWizardProps = {
	onExit: () => void;
	showAll?: boolean;
	initialImage?: string;
	/** The flashing core; the real one unless a host or a test hands in another. */
	services?: FlashServices;
	/** How often the device list is refreshed (default 1 s). */
	surveyIntervalMs?: number;
};

function errorText(error: unknown): string {
	return error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
}

/** Runs the chosen flash: unmount, build (gok), write and verify (through sudo when needed), power off. */
async function runJob(state: WizardState, services: FlashServices, signal: AbortSignal, dispatch: React.Dispatch<Parameters<typeof wizardReducer>[1]>): Promise<void> {
	const drive = selectedDrive(state);
	if (!drive) {
		dispatch({type: 'failed', message: 'the device is gone; nothing was written'});
		return;
	}

	const devicePath = drive.device.path;
	let build: GokBuild | undefined;
	try {
		if (drive.mounted.length > 0 && state.options.unmount) {
			await services.unmount(devicePath, drive.mounted);
		}

		let image = state.image;
		if (state.instance) {
			build = await services.buildInstance(state.instance, drive.device.size, {signal, onOutput: line => dispatch({type: 'buildLine', line})});
			image = await services.inspectImage(build.imagePath);
			dispatch({type: 'imageBuilt', image});
		}

		if (!image) {
			throw new FlashError(devicePath, 'image', 'no image chosen');
		}

		const plan = {image, devicePath, fast: state.options.fast, verify: state.options.verify};
		const hooks = {
			signal,
			onEvent(event: FlashEvent) {
				if (event.phase === 'write' || event.phase === 'verify') {
					dispatch({type: 'progress', progress: event});
				}
			},
		};
		let outcome: FlashOutcome;
		try {
			outcome = await services.flash(plan, hooks);
		} catch (error) {
			if (!isFlashError(error) || error.kind !== 'permission') {
				throw error;
			}

			const sudo = await services.sudoPath();
			if (!sudo) {
				throw new Error(noSudoMessage(devicePath));
			}

			// The terminal goes to sudo's password prompt: the wizard stops reading keys while on this step.
			dispatch({type: 'step', step: 'sudo'});
			await services.validateSudo(sudo);
			dispatch({type: 'step', step: 'write'});
			outcome = await services.flashWithSudo(sudo, plan, hooks);
		}

		dispatch({type: 'finished', outcome});
		dispatch({type: 'poweredOff', result: await services.powerOff(devicePath, drive.device.type === 'loop')});
	} catch (error) {
		dispatch({type: 'failed', message: errorText(error)});
	} finally {
		await build?.cleanup();
	}
}

export function FlashWizard(props: FlashWizardProps) {
	const palette = usePalette();
	const {columns, rows} = useTerminalSize();
	const services = useMemo(() => props.services ?? defaultFlashServices(process.env, os.homedir()), [props.services]);
	const [state, dispatch] = useReducer(wizardReducer, {showAll: props.showAll, initialImage: props.initialImage}, initialWizardState);
	const latest = useRef(state);
	latest.current = state;
	const abort = useRef<AbortController | undefined>(undefined);
	const {onExit} = props;

	useInput((input, key) => {
		dispatch({type: 'key', input, key});
	}, {isActive: state.step !== 'sudo'});

	useEffect(() => {
		let live = true;
		void services.listInstances().then(names => {
			if (live) {
				dispatch({type: 'instances', names});
			}
		}, () => undefined);
		return () => {
			live = false;
		};
	}, [services]);

	const request = state.request;
	useEffect(() => {
		if (!request) {
			return;
		}

		if (request.kind === 'exit') {
			abort.current?.abort();
			onExit();
		} else if (request.kind === 'inspect') {
			services.inspectImage(request.path).then(
				image => dispatch({type: 'imageChecked', image}),
				(error: unknown) => dispatch({type: 'imageFailed', message: errorText(error)}),
			);
		} else {
			const controller = new AbortController();
			abort.current = controller;
			void runJob(latest.current, services, controller.signal, dispatch);
		}
		// Each request runs once, by its id.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [request?.id]);

	useEffect(() => {
		if (state.cancelling) {
			abort.current?.abort();
		}
	}, [state.cancelling]);

	const surveying = state.step === 'target' || state.step === 'confirm';
	const {showAll, image} = state;
	useEffect(() => {
		if (!surveying) {
			return;
		}

		let live = true;
		let busy = false;
		const survey = () => {
			if (busy) {
				return;
			}

			busy = true;
			services.survey({showAll, image: image && {path: image.path, size: image.size}}).then(
				drives => live && dispatch({type: 'drives', drives}),
				(error: unknown) => live && dispatch({type: 'surveyFailed', message: errorText(error)}),
			).finally(() => {
				busy = false;
			});
		};

		survey();
		const timer = setInterval(survey, props.surveyIntervalMs ?? 1000);
		return () => {
			live = false;
			clearInterval(timer);
		};
	}, [surveying, showAll, image, services, props.surveyIntervalMs]);

	useEffect(() => () => abort.current?.abort(), []);

	const drive = selectedDrive(state);
	const except: FlashIntent[] = [];
	if (state.step === 'confirm') {
		except.push(drive?.verdict === 'ok' ? 'next' : 'write');
	}

	const listRows = Math.max(3, rows - 12);
	let body: React.ReactNode;
	switch (state.step) {
		case 'source': {
			body = <SourceStep state={state}/>;
			break;
		}

		case 'target': {
			body = <TargetStep state={state} rows={listRows}/>;
			break;
		}

		case 'confirm': {
			body = <ConfirmStep state={state}/>;
			break;
		}

		case 'finish': {
			body = <FinishStep state={state}/>;
			break;
		}

		default: {
			body = <ProgressStep state={state} width={columns}/>;
		}
	}

	return (
		<Box flexDirection="column">
			<Text bold color={palette.title}>Flash an SD card</Text>
			<Box flexDirection="column" marginY={1}>{body}</Box>
			{state.step === 'sudo' ? null : <Text color={palette.muted} wrap="truncate-end">{flashKeys.contextHints(state.step, except)}</Text>}
		</Box>
	);
}

