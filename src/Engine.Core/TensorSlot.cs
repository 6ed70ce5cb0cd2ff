// TensorSlot was Engine.Core's own grow-on-change tensor cache; Engine.TensorBuffer (SDK) replaces it
// with the same calls (Get(backend, type, shape), Get(backend, type, rows, columns), Scalar) and a
// capacity that only grows. This alias keeps the files not yet converted compiling (the losses and
// Trainer.cs); delete it once they name TensorBuffer.
global using TensorSlot = Engine.TensorBuffer;
