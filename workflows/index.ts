export { enginePod } from './engine-pod';
export { podRecovery } from './recovery';
