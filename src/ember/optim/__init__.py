"""Optimizers (``ember.optim.SGD``, ``Adam`` ...) and learning-rate schedules
(``ember.optim.lr_scheduler``), with PyTorch's classes, arguments, update formulas and
``state_dict`` layouts."""
from ember.optim.optimizer import Optimizer
from ember.optim.sgd import SGD
from ember.optim.adam import Adam, AdamW
from ember.optim.rmsprop import RMSprop
from ember.optim.adagrad import Adagrad
from ember.optim.adadelta import Adadelta
from ember.optim.adamax import Adamax
from ember.optim.nadam import NAdam
from ember.optim.radam import RAdam
from ember.optim.rprop import Rprop
from ember.optim.asgd import ASGD
from ember.optim.lbfgs import LBFGS
from ember.optim.adafactor import Adafactor
from ember.optim.sparse_adam import SparseAdam
from ember.optim import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
           "RAdam", "Rprop", "ASGD", "LBFGS", "Adafactor", "SparseAdam", "lr_scheduler"]
