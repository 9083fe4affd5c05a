"""The autograd node of attn's calls on tensors that require grad that have
no backward pass yet (the op, or an option of it): backward raises rather
than leaving the inputs silently without gradients. Kept apart from the modules that hold the
compiled kernels: a live graph node then keeps none of them alive at exit."""
import torch


class NoBackward(torch.autograd.Function):
    """apply(why, n, *outputs_then_inputs): the first n tensors through;
    backward raises RuntimeError(why + advice)."""

    @staticmethod
    def forward(ctx, why, n, *xs):
        ctx.why = why
        return tuple(x.view_as(x) for x in xs[:n])

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(
            f"{ctx.why}: its gradients are not computed. Run it under "
            f"torch.no_grad() or torch.inference_mode(), or use another "
            f"implementation for training")
