using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Float SGD (weight decay, momentum, dampening, Nesterov) a vector at a time, large tensors split
/// over the <see cref="WorkerPool"/>: the plain loop in <see cref="OptimizerKernels"/> went element by
/// element on one thread (ResNet-18: 11.7 M parameters per step). Each lane does the plain loop's
/// operations in its order, each rounded on its own (no fused multiply-add), so the bits are the
/// plain path's at any width and split. <c>ENGINE_SGD_VECTOR=off</c> keeps the plain loop.
/// </summary>
internal static unsafe class SgdVector
{
    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("ENGINE_SGD_VECTOR") != "off";

    private struct Job
    {
        public float Lr, Wd, Mu, Keep;
        public bool Momentum, First, Nesterov;
        public float* Value, Gradient, Buffer;
        public int Count, Parts;
    }

    /// <summary>value ← value − lr·g with g from the gradient, decay and momentum buffer (absent: null).</summary>
    public static void Update(in UpdateHyperparameters h, float* value, float* gradient, float* buffer, int count)
    {
        var job = new Job
        {
            Lr = (float)h.LearningRate,
            Wd = (float)h.WeightDecay,
            Mu = (float)h.Momentum,
            Keep = (float)(1 - h.Dampening),
            Momentum = h.Momentum != 0,
            First = h.FirstStep,
            Nesterov = h.Nesterov,
            Value = value,
            Gradient = gradient,
            Buffer = buffer,
            Count = count,
            Parts = ParallelSplit.Parts(count),
        };
        WorkerPool.For(job.Parts, job.Parts, &Part, &job);
    }

    private static void Part(void* state, int part, int worker)
    {
        ref Job j = ref *(Job*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Count, ParallelSplit.Alignment);
        Run(j, first, end);
    }

    private static void Run(in Job j, int first, int end)
    {
        int width = Vector<float>.Count, i = first;
        var lr = new Vector<float>(j.Lr);
        var wd = new Vector<float>(j.Wd);
        var mu = new Vector<float>(j.Mu);
        var keep = new Vector<float>(j.Keep);
        for (; i + width <= end; i += width)
        {
            Vector<float> v = Vector.Load(j.Value + i);
            Vector<float> g = Vector.Load(j.Gradient + i) + (wd * v);
            if (j.Momentum)
            {
                Vector<float> b = j.First ? g : (mu * Vector.Load(j.Buffer + i)) + (keep * g);
                b.Store(j.Buffer + i);
                g = j.Nesterov ? g + (mu * b) : b;
            }
            (v - (lr * g)).Store(j.Value + i);
        }
        for (; i < end; i++)
        {
            float g = j.Gradient[i] + (j.Wd * j.Value[i]);
            if (j.Momentum)
            {
                float b = j.First ? g : (j.Mu * j.Buffer[i]) + (j.Keep * g);
                j.Buffer[i] = b;
                g = j.Nesterov ? g + (j.Mu * b) : b;
            }
            j.Value[i] -= j.Lr * g;
        }
    }
}
