namespace Engine;

/// <summary>Fused optimiser updates.</summary>
public static partial class BackendContract
{
    // Built once: formatting the op name on every call would allocate on every training step.
    private static readonly OpNameTable<UpdateRule> UpdateOpNames = new("OptimizerUpdate");

    /// <summary>
    /// <see cref="IBackend.OptimizerUpdate"/>: the rule is defined; Adam and RAdam take bias
    /// corrections in (0, 1]; value and gradient are floating-point operands of one data type and
    /// element count that do not share memory; each state the rule uses under these settings is
    /// present (state1: every rule but plain SGD without momentum; state2: Adam, RAdam, RMSprop with
    /// momentum; state3: AMSGrad's maximum, centred RMSprop's mean), and every state given has the
    /// value's type and count and shares no memory with it. Semantics per rule: <see cref="UpdateRule"/>;
    /// arithmetic is in the element type, as PyTorch updates a float32 parameter in float32.
    /// </summary>
    public static void OptimizerUpdate(IBackend backend, UpdateRule rule, in UpdateHyperparameters h, Tensor value, Tensor gradient,
        Tensor? state1, Tensor? state2, Tensor? state3)
    {
        if (!Enum.IsDefined(rule))
        {
            throw new ArgumentOutOfRangeException(nameof(rule), rule, "OptimizerUpdate: unknown rule");
        }
        string op = UpdateOpNames[rule];
        bool needs1 = rule != UpdateRule.Sgd || h.Momentum != 0;
        bool needs2 = rule is UpdateRule.Adam or UpdateRule.RAdam || (rule == UpdateRule.RmsProp && h.Momentum > 0);
        bool needs3 = (rule == UpdateRule.Adam && h.AmsGrad) || (rule == UpdateRule.RmsProp && h.Centered);
        if (rule is UpdateRule.Adam or UpdateRule.RAdam && !(h.BiasCorrection1 is > 0 and <= 1 && h.BiasCorrection2 is > 0 and <= 1))
        {
            throw new ArgumentException($"{op}: bias corrections must be in (0, 1], got c1 = {h.BiasCorrection1}, c2 = {h.BiasCorrection2}");
        }
        Operand(backend, op, "value", value);
        Written(value);
        Operand(backend, op, "gradient", gradient);
        SameType(op, "value", value, "gradient", gradient);
        SameCount(op, "value", value, "gradient", gradient);
        NotShared(op, "value", value, "gradient", gradient);
        OptimizerState(backend, op, "state1", state1, needs1, value);
        OptimizerState(backend, op, "state2", state2, needs2, value);
        OptimizerState(backend, op, "state3", state3, needs3, value);
    }

    private static void OptimizerState(IBackend backend, string op, string name, Tensor? state, bool needed, Tensor value)
    {
        if (state is null)
        {
            if (needed)
            {
                throw new ArgumentNullException(name, $"{op}: {name} is required by this rule and its settings");
            }
            return;
        }
        Operand(backend, op, name, state);
        Written(state);
        SameType(op, "value", value, name, state);
        SameCount(op, "value", value, name, state);
        NotShared(op, "value", value, name, state);
    }
}
