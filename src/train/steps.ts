// What each training step reads and writes, and a label for reports: the schedule the
// memory planner and the tiling transform see.
import { TrainStep } from '../ir/train';

export function stepAccess(s: TrainStep): { reads: string[]; writes: string[] } {
  switch (s.kind) {
    case 'forward': return { reads: s.node.inputs, writes: [s.node.output, ...(s.scratch ? [s.scratch] : [])] };
    case 'save': return { reads: [s.from], writes: [s.to] };
    case 'mask': return { reads: [s.from], writes: [s.to] };
    case 'loss': return { reads: [s.logits], writes: [s.grad] };
    case 'clamp_backward': return { reads: [s.grad, s.source], writes: [s.grad] };
    case 'backward_input': return { reads: [s.gradOut, ...(s.saved ? [s.saved] : []), ...(s.accumulate ? [s.gradIn] : [])], writes: [s.gradIn, ...(s.inPlaceScratch ? [s.inPlaceScratch] : [])] };
    case 'grad_copy': return { reads: [s.src, ...(s.accumulate ? [s.dst] : [])], writes: [s.dst] };
    case 'update_weight': return { reads: [s.saved, s.gradOut], writes: [] };
    case 'update_bias': return { reads: [s.gradOut], writes: [] };
    case 'stream_backward': return {
      reads: [s.gradOut, ...(s.clamp ? [s.clamp.source] : []), ...(s.weight && !s.next?.recompute ? [s.weight.saved] : []), ...(s.gradIn?.accumulate ? [s.gradIn.buffer] : []),
        ...(s.next?.clamp && !s.next.recompute ? [s.next.clamp.source] : []), ...(s.next?.weight ? [s.next.weight.saved] : [])],
      writes: [s.plane, ...(s.gradIn ? [s.gradIn.buffer] : []), ...(s.next ? [s.next.plane] : []), ...(s.next?.recompute ? [s.next.recompute.plane] : [])],
    };
    case 'tile_copy': return { reads: [s.from], writes: [s.to] };
    case 'tile_place': return { reads: [s.from], writes: [s.to] };
    case 'tile_forward': return { reads: s.node.inputs.map((t) => s.buffers[t] ?? t), writes: [s.buffers[s.node.output] ?? s.node.output, ...(s.scratch ? [s.scratch] : [])] };
  }
}

export function stepLabel(s: TrainStep): string {
  switch (s.kind) {
    case 'forward': return `forward ${s.node.name}`;
    case 'save': return `save ${s.layer}`;
    case 'mask': return `mask ${s.from}`;
    case 'loss': return 'loss';
    case 'clamp_backward': return `clamp backward ${s.grad}`;
    case 'backward_input': return `backward ${s.node.name}`;
    case 'grad_copy': return `grad ${s.accumulate ? 'add' : 'copy'} ${s.dst}`;
    case 'update_weight': return `update weights ${s.node.name}`;
    case 'update_bias': return `update bias ${s.node.name}`;
    case 'stream_backward': return `backward ${s.source.name} + ${s.producer.name}${s.next ? ` + ${s.next.node.name}` : ''} (channel by channel)`;
    case 'tile_copy': return `tile copy ${s.to}`;
    case 'tile_place': return `tile place ${s.from}`;
    case 'tile_forward': return `forward ${s.node.name} (tile ${s.tile})`;
  }
}
