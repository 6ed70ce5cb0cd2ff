namespace Engine;

public partial interface IBackend
{
    /// <summary>
    /// Elements of the <see cref="DataType.Int32"/> workspace a training forward pass of this pooling
    /// (x of shape <paramref name="x"/>, in <paramref name="dataType"/>) fills for its backward pass,
    /// or 0 (the default) when the backend keeps nothing between them. A max pooling layer asks in
    /// training and, when it gets more than 0, holds such a tensor from <see cref="PoolingForwardWithWorkspace"/>
    /// to <see cref="PoolingBackwardWithWorkspace"/>, so the
    /// backward pass need not find each window's maximum again; inference never asks.
    /// </summary>
    int PoolingWorkspaceSize(PoolingGeometry geometry, Shape x, DataType dataType) => 0;

    /// <summary>
    /// <see cref="PoolingForward"/>, also writing into
    /// <paramref name="workspace"/> (Int32, at least <see cref="PoolingWorkspaceSize"/> elements) what
    /// the backward pass of this x needs. The default ignores the workspace. A decorator that changes
    /// how pooling runs overrides this and the two other workspace members together.
    /// </summary>
    void PoolingForwardWithWorkspace(PoolingGeometry geometry, Tensor x, Tensor y, Tensor workspace) => PoolingForward(geometry, x, y);

    /// <summary>
    /// <see cref="PoolingBackward"/> with the workspace
    /// the forward pass of the same x and geometry filled (<see cref="PoolingForwardWithWorkspace"/>);
    /// same result, bit for bit. The default ignores the workspace.
    /// </summary>
    void PoolingBackwardWithWorkspace(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor workspace) => PoolingBackward(geometry, x, y, dy, dx);
}
