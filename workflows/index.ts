export { enginePod } from './engine-pod';
