"""Optimizers (``ember.optim.SGD``, ``Adam`` ...) and learning-rate schedules
(``ember.optim.lr_scheduler``), with PyTorch's classes, arguments, update formulas and
``state_dict`` layouts."""
from ember.optim.optimizer import Optimizer
from ember.optim.sgd import SGD
from ember.optim.adam import Adam, AdamW
from ember.optim.rmsprop import RMSprop
from ember.optim.adagrad import Adagrad
from ember.optim.adadelta import Adadelta
from ember.optim import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "lr_scheduler"]
