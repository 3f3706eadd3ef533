// What nearly every feature folder's request, handler and validator uses.
global using FluentValidation;
global using Mediator;
global using Metrics.Application.Common.Abstractions;
global using Metrics.Application.Common.Behaviours;
global using Metrics.Application.Common.Models;
